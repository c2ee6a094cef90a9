import { ProblemException } from '@app/common';

/** The problems of second factors and passkeys (API.md "Multi-factor and passkeys (v1.2)"). */
export const MfaErrors = {
  invalidCode: () => ProblemException.unauthorized('invalid_mfa_code', 'The code or passkey was not accepted (wrong, already used, or expired)'),
  invalidMfaToken: () => ProblemException.unauthorized('invalid_mfa_token', 'The sign-in step has expired or was already used; sign in again'),
  noPendingTotp: () => ProblemException.notFound('No TOTP setup is waiting for confirmation: call POST /auth/mfa/totp/setup first'),
  totpNotEnabled: () => ProblemException.notFound('TOTP is not enabled for this account'),
  noFactor: () => ProblemException.notFound('Recovery codes need an enabled second factor (TOTP or a passkey)'),
  passkeyNotFound: () => ProblemException.notFound('Passkey not found'),
  lastLoginMethod: () =>
    ProblemException.conflict('last_login_method', 'This passkey is the only way you can sign in: add a password or another passkey first'),
  registrationRefused: (message = 'the registration did not verify') =>
    ProblemException.validation([{ field: 'response', message }], 'The passkey registration was not accepted'),
  storeUnavailable: () => ProblemException.unavailable('The sign-in store is unavailable; try again shortly'),
} as const;

/**
 * Pending sign-ins and WebAuthn challenges live in the shared store: when it is down nothing can
 * be checked, and the answer is 503, never a 500 (a problem the call raised itself passes as is).
 */
export async function withChallengeStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProblemException) throw err;
    throw MfaErrors.storeUnavailable();
  }
}
