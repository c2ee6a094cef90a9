import { Secret, TOTP, URI } from 'otpauth';
import type { TestApp } from './test-app';

/** TOTP parameters; the defaults are RFC 6238's and every authenticator app's: SHA1, 6 digits, 30 s. */
export interface TotpParams {
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
  digits?: number;
  period?: number;
}

/**
 * The TOTP code an authenticator app would show for `secretBase32` at `at` (a Date or epoch ms;
 * default now), for tests that control the clock. Computed with otpauth, the library the server uses.
 */
export function totpCode(secretBase32: string, at: Date | number = Date.now(), params: TotpParams = {}): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    algorithm: params.algorithm ?? 'SHA1',
    digits: params.digits ?? 6,
    period: params.period ?? 30,
    timestamp: toMs(at),
  });
}

/** The code for an `otpauth://totp/...` provisioning URI (what an enrolment QR code holds) at `at`. */
export function totpCodeFromUri(uri: string, at: Date | number = Date.now()): string {
  const otp = URI.parse(uri);
  if (!(otp instanceof TOTP)) throw new Error(`not a TOTP URI: ${uri}`);
  return otp.generate({ timestamp: toMs(at) });
}

/** The base32 secret in an `otpauth://totp/...` URI. */
export function totpSecretFromUri(uri: string): string {
  const otp = URI.parse(uri);
  if (!(otp instanceof TOTP)) throw new Error(`not a TOTP URI: ${uri}`);
  return otp.secret.base32;
}

function toMs(at: Date | number): number {
  return typeof at === 'number' ? at : at.getTime();
}

/** A TOTP enrolment made through the API: the secret, the recovery codes, and when it was confirmed. */
export interface TotpEnrolment {
  secret: string;
  recoveryCodes: string[];
  /** the time the confirmation code was computed for: its step is spent, a sign-in needs a later one */
  t0: number;
}

/** Enrols TOTP for the bearer of `accessToken` (setup, then confirm with the current code), as an app would. */
export async function enrolTotp(t: TestApp, accessToken: string): Promise<TotpEnrolment> {
  const setup = await t.http().post('/api/v1/auth/mfa/totp/setup').set('Authorization', `Bearer ${accessToken}`);
  if (setup.status !== 200) throw new Error(`TOTP setup: ${setup.status} ${JSON.stringify(setup.body)}`);
  const t0 = Date.now();
  const confirm = await t
    .http()
    .post('/api/v1/auth/mfa/totp/confirm')
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ code: totpCode(setup.body.secret, t0) });
  if (confirm.status !== 200) throw new Error(`TOTP confirm: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  return { secret: setup.body.secret, recoveryCodes: confirm.body.recovery_codes, t0 };
}
