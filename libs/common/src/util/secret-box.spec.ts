import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const sealer = new SecretBox('a'.repeat(48), 'test-v1');

  it('opens what it sealed for the same parent', () => {
    const sealed = sealer.seal('child-token', 'parent-hash');
    expect(sealed).not.toContain('child-token');
    expect(sealer.open(sealed, 'parent-hash')).toBe('child-token');
  });

  it('refuses another parent, another key or a tampered value', () => {
    const sealed = sealer.seal('child-token', 'parent-hash');
    expect(sealer.open(sealed, 'other-parent')).toBeNull();
    expect(new SecretBox('a'.repeat(48), 'other-purpose').open(sealed, 'parent-hash')).toBeNull();
    expect(new SecretBox('b'.repeat(48), 'test-v1').open(sealed, 'parent-hash')).toBeNull();
    const tampered = Buffer.from(sealed, 'base64url');
    tampered[tampered.length - 1] ^= 1;
    expect(sealer.open(tampered.toString('base64url'), 'parent-hash')).toBeNull();
  });
});
