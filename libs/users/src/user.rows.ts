import type { Role } from '@app/common';

/** A row of `users`, as the repositories read it (a plain class: TypeORM holds no entity metadata). */
export class User {
  id: string;
  email: string;
  passwordHash: string | null;
  name: string | null;
  role: Role;
  emailVerifiedAt: Date | null;
  isActive: boolean;
  passwordChangedAt: Date | null;
  lastSigninAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** bumped by a trigger on every update: orders the cached copies of this row (access state, profile) */
  version: number;
  /** an active TOTP or a passkey: a sign-in needs a second step */
  mfaEnabled: boolean;
}

const USER_FIELDS = [
  'id',
  'email',
  'password_hash',
  'name',
  'role',
  'email_verified_at',
  'is_active',
  'password_changed_at',
  'last_signin_at',
  'created_at',
  'updated_at',
  'version',
  'mfa_enabled',
] as const;

/**
 * Every column of `users` a User needs, for raw SQL: `userColumns('u', 'u_')` →
 * `u.id AS u_id, u.email AS u_email, ...`. Exported for the deliberate cross-context reads
 * (sessions' rotation and lockout's reservation read the account in the same statement).
 */
export function userColumns(alias: string, prefix = ''): string {
  return USER_FIELDS.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(', ');
}

/** The User of a raw row selected with `userColumns(alias, prefix)`. */
export function userFromRow(r: Record<string, unknown>, prefix = ''): User {
  const at = (c: string) => (r[prefix + c] == null ? null : new Date(r[prefix + c] as string | Date));
  const u = new User();
  u.id = r[`${prefix}id`] as string;
  u.email = r[`${prefix}email`] as string;
  u.passwordHash = (r[`${prefix}password_hash`] as string | null) ?? null;
  u.name = (r[`${prefix}name`] as string | null) ?? null;
  u.role = r[`${prefix}role`] as Role;
  u.emailVerifiedAt = at('email_verified_at');
  u.isActive = r[`${prefix}is_active`] === true;
  u.passwordChangedAt = at('password_changed_at');
  u.lastSigninAt = at('last_signin_at');
  u.createdAt = at('created_at')!;
  u.updatedAt = at('updated_at')!;
  u.version = Number(r[`${prefix}version`] ?? 0);
  u.mfaEnabled = r[`${prefix}mfa_enabled`] === true;
  return u;
}
