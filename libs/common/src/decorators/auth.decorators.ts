import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export type Role = 'admin' | 'user' | 'guest';
export const ROLES: readonly Role[] = ['admin', 'user', 'guest'];

/** What the global JWT guard attaches to the request once a token passed every check. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  /** the user's live role (not the token's claim) */
  role: Role;
  jti: string;
  /** the user's public profile (UserDto) from the access-state cache, when the check read it */
  profile?: object;
  /** the token's auth_time (epoch seconds): when the session last proved its user (v1.2) */
  authTime?: number;
  /** the token's amr (v1.2) */
  amr?: string[];
}

export const IS_PUBLIC_KEY = 'auth:public';
export const ROLES_KEY = 'auth:roles';

export const OPTIONAL_AUTH_KEY = 'auth:optional';

/** Opt a route out of the global JWT guard. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * A bearer token is checked when present (and must then be valid), but may be absent: the
 * handler sees `user` undefined (cookie-mode logout).
 */
export const OptionalAuth = () => SetMetadata(OPTIONAL_AUTH_KEY, true);

export const RECENT_AUTH_KEY = 'auth:recent';
export const MFA_ENROLMENT_KEY = 'auth:mfa-enrolment';

/**
 * A sensitive action: the caller's session must have proved its user within REAUTH_WINDOW
 * seconds (the token's auth_time), else 403 `reauth_required` (POST /auth/reauthenticate).
 */
export const RecentAuth = () => SetMetadata(RECENT_AUTH_KEY, true);

/**
 * Part of enrolling a second factor (or of leaving): open to a user whose role is in
 * MFA_REQUIRED_ROLES and who has no factor yet; every other route answers them 403
 * `mfa_enrollment_required`.
 */
export const MfaEnrolment = () => SetMetadata(MFA_ENROLMENT_KEY, true);

/** Require one of these live roles (checked by RolesGuard after authentication). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller (`AuthContext`), or one of its fields. */
export const CurrentUser = createParamDecorator((field: keyof AuthContext | undefined, ctx: ExecutionContext) => {
  const user = ctx.switchToHttp().getRequest<{ user?: AuthContext }>().user;
  return field ? user?.[field] : user;
});
