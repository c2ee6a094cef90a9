import { randomBytes } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import type { TestApp } from './test-app';

export const PASSWORD = 'Correct-Horse-7';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}.${randomBytes(5).toString('hex')}@example.com`;
}

export interface Registered {
  id: string;
  email: string;
  password: string;
}

export async function register(t: TestApp, email = uniqueEmail(), password = PASSWORD, name?: string): Promise<Registered> {
  const res = await t
    .http()
    .post('/api/v1/auth/register')
    .send(name === undefined ? { email, password } : { email, password, name });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, email, password };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  session_id: string;
  user: { id: string; role: string; email: string; email_verified: boolean };
}

export async function login(t: TestApp, email: string, password = PASSWORD, userAgent = 'jest'): Promise<Tokens> {
  const res = await t.http().post('/api/v1/auth/login').set('User-Agent', userAgent).send({ email, password });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function registerAndLogin(t: TestApp, email = uniqueEmail()): Promise<Registered & { tokens: Tokens }> {
  const user = await register(t, email);
  return { ...user, tokens: await login(t, email) };
}

/** Makes a user admin directly in the database (the bootstrap path is tested on its own). */
export async function makeAdmin(t: TestApp, email = uniqueEmail('admin')): Promise<Registered & { tokens: Tokens }> {
  const user = await register(t, email);
  await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
  return { ...user, tokens: await login(t, email) };
}

export function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`];
}

/**
 * A token signed like ours (the app's current key, or JWT_SECRET with HS256) but with chosen claims;
 * with `secret`/`algorithm` an HS256 (or other) token for forgery tests.
 */
export function forge(t: TestApp, claims: Record<string, unknown>, opts: { secret?: string; algorithm?: jwt.Algorithm | 'none' } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: claims.sub,
    sid: claims.sid,
    role: 'admin',
    jti: randomBytes(8).toString('hex'),
    iat: now,
    exp: now + 600,
    iss: t.config.auth.issuer,
    aud: t.config.auth.audience,
    typ: 'access',
    ...claims,
  };
  // a claim given as undefined is left out (a token without exp, say)
  for (const key of Object.keys(payload) as (keyof typeof payload)[]) if (payload[key] === undefined) delete payload[key];
  if (opts.algorithm === 'none') {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
  }
  if (opts.secret === undefined && opts.algorithm === undefined && t.signer) {
    // signed like the app signs now (the default ES256; jsonwebtoken cannot sign EdDSA)
    if (t.signer.alg !== 'ES256') throw new Error(`forge() signs ES256 only, the app uses ${t.signer.alg}`);
    return jwt.sign(payload, t.signer.key, { algorithm: 'ES256', keyid: t.signer.kid });
  }
  return jwt.sign(payload, opts.secret ?? t.config.auth.jwtSecret, { algorithm: opts.algorithm ?? 'HS256' });
}

/** A signed-in user whose email is verified (linking needs a proven address). */
export async function verifiedUser(t: TestApp, email = uniqueEmail()): Promise<Registered & { tokens: Tokens }> {
  const user = await register(t, email);
  await t.sql(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
  return { ...user, tokens: await login(t, email) };
}
