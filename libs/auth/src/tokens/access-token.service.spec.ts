import { randomBytes } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { loadConfig } from '@app/config';
import { SigningKeys, TokenCodec } from '@app/keys';
import { AccessTokenService } from './access-token.service';

describe('AccessTokenService', () => {
  const secret = randomBytes(40).toString('base64');
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: secret,
    JWT_ALGORITHM: 'HS256',
    JWT_ISSUER: 'https://id.example.com',
    JWT_AUDIENCE: 'example-api',
    JWT_ACCESS_TTL: '900',
  });
  // HS256 needs no signing keys: the codec never asks for one
  const service = new AccessTokenService(config, new TokenCodec(config, null as unknown as SigningKeys));

  it('carries exactly the claims of the contract', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const token = await service.issue('4c6e8f52-1b1a-4d0c-9a55-0b8b0a2f1c11', '9d5f2b8e-7c1a-4e2b-8f3d-1a2b3c4d5e6f', 'admin', now);
    const { header, payload } = jwt.decode(token, { complete: true }) as { header: jwt.JwtHeader; payload: Record<string, unknown> };
    expect(header.alg).toBe('HS256');
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub', 'typ']);
    expect(payload).toMatchObject({
      sub: '4c6e8f52-1b1a-4d0c-9a55-0b8b0a2f1c11',
      sid: '9d5f2b8e-7c1a-4e2b-8f3d-1a2b3c4d5e6f',
      role: 'admin',
      iss: 'https://id.example.com',
      aud: 'example-api',
      typ: 'access',
      iat: now / 1000,
      exp: now / 1000 + 900,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('verifies only with the configured secret', async () => {
    const token = await service.issue('u', 's', 'user', Date.now());
    expect(() => jwt.verify(token, secret, { algorithms: ['HS256'] })).not.toThrow();
    expect(() => jwt.verify(token, 'x'.repeat(40), { algorithms: ['HS256'] })).toThrow('invalid signature');
  });

  it('gives every token its own jti', async () => {
    const a = jwt.decode(await service.issue('u', 's', 'user', Date.now())) as { jti: string };
    const b = jwt.decode(await service.issue('u', 's', 'user', Date.now())) as { jti: string };
    expect(a.jti).not.toBe(b.jti);
  });
});
