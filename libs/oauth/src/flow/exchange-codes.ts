import { Injectable } from '@nestjs/common';
import { generateToken, sha256 } from '@app/common';
import { KeyValueStore } from '@app/redis';
import type { OAuthProviderName } from '../oauth-provider';

export const EXCHANGE_CODE_TTL_MS = 60 * 1000;

/** Who proved themselves at the provider; redeemed once by POST /oauth/exchange. */
export interface SignInGrant {
  userId: string;
  provider: OAuthProviderName;
}

const key = (code: string) => `oauth:code:${sha256(code)}`;

/**
 * One-time codes that carry a finished OAuth sign-in from the callback redirect to the front
 * end's POST /oauth/exchange, so no token ever appears in a URL. 32 random bytes; only the hash
 * is stored, for 60 s, and redeeming is GETDEL: a code works once. Rejects when the store is down.
 */
@Injectable()
export class ExchangeCodes {
  constructor(private readonly kv: KeyValueStore) {}

  async issue(grant: SignInGrant): Promise<string> {
    const code = generateToken(32);
    await this.kv.set(key(code), JSON.stringify(grant), EXCHANGE_CODE_TTL_MS);
    return code;
  }

  async redeem(code: string): Promise<SignInGrant | null> {
    const raw = await this.kv.take(key(code));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as SignInGrant;
    } catch {
      return null;
    }
  }
}
