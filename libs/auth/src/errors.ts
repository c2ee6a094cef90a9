import { type FieldError, ProblemException } from '@app/common';

export const AuthErrors = {
  invalidCredentials: () => ProblemException.unauthorized('invalid_credentials', 'Invalid email or password'),
  emailNotVerified: () => ProblemException.forbidden('email_not_verified', 'Verify your email address before signing in'),
  invalidCurrentPassword: () => ProblemException.badRequest('invalid_current_password', 'The current password is not correct'),
  accountLocked: (retryAfterS: number) =>
    new ProblemException(423, 'account_locked', 'Too many failed sign-in attempts; try again later', { headers: { 'Retry-After': String(retryAfterS) } }),
  passwordRefused: (errors: FieldError[]) => ProblemException.validation(errors, 'The password does not meet the policy'),
  tokenInvalid: () => ProblemException.unauthorized('token_invalid', 'The access token is not valid'),
  tokenExpired: () => ProblemException.unauthorized('token_expired', 'The access token has expired'),
  csrfFailed: () => ProblemException.forbidden('csrf_failed', 'X-CSRF-Token must match the csrf_token cookie of this session'),
  refreshTokenMissing: () => ProblemException.validation([{ field: 'refresh_token', message: 'is required (in the body or the refresh_token cookie)' }]),
  reauthRequired: () =>
    ProblemException.forbidden('reauth_required', 'This action needs a recent sign-in: call POST /auth/reauthenticate, then retry with its access token'),
  mfaEnrollmentRequired: () =>
    ProblemException.forbidden('mfa_enrollment_required', 'Your role requires a second factor: enrol one (TOTP or a passkey) before anything else'),
} as const;
