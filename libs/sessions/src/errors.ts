import { ProblemException } from '@app/common';

export const SessionsErrors = {
  invalidRefreshToken: () => ProblemException.unauthorized('invalid_refresh_token', 'The refresh token is invalid, expired or revoked'),
  refreshTokenReused: () =>
    ProblemException.unauthorized('refresh_token_reused', 'This refresh token was already used; the session has been revoked. Sign in again.'),
  /** The access token's session was revoked or has expired, or its user is gone or disabled. */
  tokenRevoked: () => ProblemException.unauthorized('token_revoked', 'The session of this access token has ended'),
  accountDisabled: () => ProblemException.forbidden('account_disabled', 'This account is disabled'),
  sessionNotFound: () => ProblemException.notFound('Session not found'),
} as const;
