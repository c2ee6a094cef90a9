import { Injectable } from '@nestjs/common';
import { generateToken, sha256 } from '@app/common';
import { KeyValueStore } from '@app/redis';
import type { OAuthProviderName } from '../oauth-provider';

export const LINK_TICKET_TTL_MS = 5 * 60 * 1000;

/** A link the signed-in caller asked for, waiting for their browser to open it. */
export interface LinkRequest {
  provider: OAuthProviderName;
  userId: string;
  sessionId: string;
  redirectTo: string | null;
}

const key = (ticket: string) => `oauth:link:${sha256(ticket)}`;

/**
 * `POST /oauth/{provider}/link` is an API call (bearer token), but the flow must run in the
 * user's browser, which has to hold the flow cookie: the call answers with this API's initiate
 * URL carrying a ticket (single use, 5 minutes, stored hashed), and initiate redeems it.
 */
@Injectable()
export class LinkTickets {
  constructor(private readonly kv: KeyValueStore) {}

  async issue(request: LinkRequest): Promise<string> {
    const ticket = generateToken(32);
    await this.kv.set(key(ticket), JSON.stringify(request), LINK_TICKET_TTL_MS);
    return ticket;
  }

  async redeem(ticket: string): Promise<LinkRequest | null> {
    const raw = await this.kv.take(key(ticket));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as LinkRequest;
    } catch {
      return null;
    }
  }
}
