import { textArray } from '@app/database';
export type AuthMethod = 'password' | 'google' | 'github' | 'passkey';
export const AUTH_METHODS: readonly AuthMethod[] = ['password', 'google', 'github', 'passkey'];

/** One sign-in (a row of `sessions`): a refresh-token family. Revoking it kills its refresh and access tokens. */
export class Session {
  id: string;
  userId: string;
  authMethod: AuthMethod;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  /** when the session last proved who its user is (sign-in, then each reauthentication) */
  authTime: Date;
  /** how it did (RFC 8176 values: pwd, otp, hwk, swk, oauth) */
  amr: string[];
}

const SESSION_FIELDS = [
  'id',
  'user_id',
  'auth_method',
  'ip',
  'user_agent',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
  'revoked_reason',
  'auth_time',
  'amr',
];

/** The columns `toSession` reads, qualified by `alias`. */
export function sessionColumns(alias: string): string {
  return SESSION_FIELDS.map((c) => `${alias}.${c}`).join(', ');
}

export function toSession(r: Record<string, unknown>): Session {
  const s = new Session();
  s.id = r.id as string;
  s.userId = r.user_id as string;
  s.authMethod = r.auth_method as AuthMethod;
  s.ip = (r.ip as string) ?? null;
  s.userAgent = (r.user_agent as string) ?? null;
  s.createdAt = new Date(r.created_at as string);
  s.lastUsedAt = new Date(r.last_used_at as string);
  s.expiresAt = new Date(r.expires_at as string);
  s.revokedAt = r.revoked_at ? new Date(r.revoked_at as string) : null;
  s.revokedReason = (r.revoked_reason as string) ?? null;
  s.authTime = r.auth_time ? new Date(r.auth_time as string) : s.createdAt;
  s.amr = textArray(r.amr);
  return s;
}
