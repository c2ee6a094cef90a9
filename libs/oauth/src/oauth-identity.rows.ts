import type { OAuthProviderName } from './oauth-provider';

/** A provider account linked to a user (a row of `oauth_identities`): at most one per provider per user, one user per account. */
export class OAuthIdentity {
  id: string;
  userId: string;
  provider: OAuthProviderName;
  providerUserId: string;
  email: string | null;
  createdAt: Date;
}

export const COLUMNS = 'id, user_id, provider, provider_user_id, email, created_at';

export function identityFromRow(r: Record<string, unknown>): OAuthIdentity {
  const i = new OAuthIdentity();
  i.id = r.id as string;
  i.userId = r.user_id as string;
  i.provider = r.provider as OAuthProviderName;
  i.providerUserId = r.provider_user_id as string;
  i.email = (r.email as string | null) ?? null;
  i.createdAt = new Date(r.created_at as string | Date);
  return i;
}
