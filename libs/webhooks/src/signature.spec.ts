import { generateWebhookSecret, signWebhook } from './signature';

describe('Standard Webhooks signatures', () => {
  it('reproduces the test vector of the reference implementations', () => {
    expect(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('changes with the id, the timestamp and the body', () => {
    const secret = generateWebhookSecret();
    const base = signWebhook(secret, 'a', 1, '{}');
    expect(signWebhook(secret, 'b', 1, '{}')).not.toBe(base);
    expect(signWebhook(secret, 'a', 2, '{}')).not.toBe(base);
    expect(signWebhook(secret, 'a', 1, '{ }')).not.toBe(base);
  });

  it('generates whsec_ secrets of 32 random bytes, never twice the same', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
