import { tryCanonicalEmail } from '@app/common';

/** The social sign-in providers this service speaks to (API.md: anything else is 404). */
export type OAuthProviderName = 'google' | 'github';
export const OAUTH_PROVIDERS: readonly OAuthProviderName[] = ['google', 'github'];

export function isOAuthProviderName(value: unknown): value is OAuthProviderName {
  return typeof value === 'string' && (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

/** What a strategy makes of a provider's answer: the only provider data the linking rules see. */
export interface ProviderProfile {
  provider: OAuthProviderName;
  /** Google `sub`, GitHub numeric id: stable for the provider account, never the email */
  providerUserId: string;
  /** the address the provider vouches for (GitHub: only the primary, verified one); null when none */
  email: string | null;
  /** true only when the provider says the email is verified */
  emailVerified: boolean;
  name: string | null;
}

/** Normalises an email a provider gave us; one we could never store (or match: no canonical form) is treated as absent. */
export function providerEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim();
  return email.length > 0 && email.length <= 254 && email.includes('@') && tryCanonicalEmail(email) !== null ? email : null;
}

export function providerName(...candidates: unknown[]): string | null {
  for (const c of candidates) if (typeof c === 'string' && c.trim()) return c.trim().slice(0, 100);
  return null;
}
