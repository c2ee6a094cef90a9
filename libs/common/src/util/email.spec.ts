import { canonicalEmail, EmailFormatError, tryCanonicalEmail } from './email';

describe('canonicalEmail', () => {
  it.each([
    ['Ada@Example.COM', 'ada@example.com'],
    ['  ada@example.com  ', 'ada@example.com'],
    ['ａｄａ@ｅｘａｍｐｌｅ.com', 'ada@example.com'],
    ['ada@münchen.de', 'ada@xn--mnchen-3ya.de'],
    ['ada@xn--mnchen-3ya.de', 'ada@xn--mnchen-3ya.de'],
    ['bob@exİmple.com', 'bob@xn--eximple-8he.com'],
    ['not-an-address', 'not-an-address'],
  ])('%j → %j', (raw, canonical) => {
    expect(canonicalEmail(raw)).toBe(canonical);
  });

  it('never folds U+0130 (İ) into a plain i the way PostgreSQL lower() does', () => {
    expect(canonicalEmail('alİce@example.com')).not.toBe('alice@example.com');
  });

  it.each(['a\u0000@example.com', 'a@exa\u0000mple.com', 'al\u200bice@example.com', 'a\u202e@example.com', '\ud800a@example.com'])(
    'refuses control and invisible characters (%j)',
    (raw) => {
      expect(() => canonicalEmail(raw)).toThrow(EmailFormatError);
    },
  );

  it.each(['a@xn--zz.com', 'a@a%41.com', 'a@[::1]', 'a@exa mple.com', 'a@example.com.', '@example.com', 'a@', `a@${'ü.'.repeat(60)}com`])(
    'refuses a domain IDNA cannot convert, or one with URL syntax (%j)',
    (raw) => {
      expect(() => canonicalEmail(raw)).toThrow(EmailFormatError);
    },
  );

  it('tryCanonicalEmail answers null instead of throwing', () => {
    expect(tryCanonicalEmail('a@xn--zz.com')).toBeNull();
    expect(tryCanonicalEmail(42)).toBeNull();
    expect(tryCanonicalEmail('A@B.example')).toBe('a@b.example');
  });
});
