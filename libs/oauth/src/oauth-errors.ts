import { ProblemException } from '@app/common';

/**
 * The `error` values of `FRONTEND_URL/oauth/callback?error=<code>`: the callback is a browser
 * redirect, so its failures travel to the front end as a code rather than a problem document.
 */
export const OAUTH_CALLBACK_ERRORS = {
  invalid_state: 'state missing, unknown, expired (10 min) or already used; nothing was created',
  access_denied: 'the user declined consent at the provider',
  provider_error: 'the provider answered with an error or could not be reached (authorization, token or profile endpoint)',
  email_unverified: 'the provider gave no verified email for an account that is not linked yet (GitHub: no primary verified address)',
  account_exists: 'the provider email matches an account but the provider has not verified it: sign in with the password, then link',
  account_disabled: 'the account is disabled',
  email_not_verified: 'REQUIRE_EMAIL_VERIFICATION is on and neither the account nor the provider has verified the email',
  identity_in_use: '(link) this provider account is already linked to another user; nothing changed',
  session_ended: '(link) the session that started the link was revoked or expired before the callback; nothing changed',
  provider_already_linked: 'the user already has another account of this provider linked; nothing changed',
  service_unavailable: 'a dependency the flow needs (Redis) is down; retry later',
  server_error: 'unexpected failure',
} as const;
export type OAuthCallbackError = keyof typeof OAUTH_CALLBACK_ERRORS;

export function describeCallbackErrors(): string {
  return Object.entries(OAUTH_CALLBACK_ERRORS)
    .map(([code, text]) => `\`${code}\`: ${text}`)
    .join('; ');
}

/** A callback failure with its front-end code (and the user it concerns, for the audit trail). */
export class OAuthFlowError extends Error {
  constructor(
    readonly code: OAuthCallbackError,
    readonly userId: string | null = null,
  ) {
    super(code);
    this.name = 'OAuthFlowError';
  }
}

/** The problem documents of the JSON (non-redirect) OAuth routes. */
export const OAuthErrors = {
  unknownProvider: () => ProblemException.notFound('Unknown or disabled OAuth provider'),
  identityNotFound: () => ProblemException.notFound('No such linked account'),
  lastLoginMethod: () =>
    ProblemException.conflict('last_login_method', 'This is the only way this account can sign in; set a password or link another provider first'),
  emailNotVerifiedForLink: () => ProblemException.forbidden('email_not_verified', 'Verify your email address before linking another way to sign in'),
  providerAlreadyLinked: (provider: string) => ProblemException.conflict('provider_already_linked', `A ${provider} account is already linked; unlink it first`),
  invalidExchangeCode: () => ProblemException.badRequest('invalid_token', 'The code is invalid, expired or already used'),
} as const;
