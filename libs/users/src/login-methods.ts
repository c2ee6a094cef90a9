import { Injectable } from '@nestjs/common';
import type { Tx } from '@app/common';

/** Counts one kind of way a user can sign in (linked providers, passkeys), inside the caller's unit of work. */
export type LoginMethodCounter = (userId: string, tx: Tx) => Promise<number>;

/**
 * The ways a user can sign in besides a password, each counted by the context that owns it
 * (oauth: enabled linked providers; mfa: passkeys), registered at boot. The "last login method"
 * rule of unlinking an identity and of removing a passkey asks here, with the user's row locked,
 * so neither context depends on the other.
 */
@Injectable()
export class LoginMethods {
  private readonly counters = new Map<string, LoginMethodCounter>();

  register(kind: string, counter: LoginMethodCounter): void {
    this.counters.set(kind, counter);
  }

  /** How many ways of each registered kind the user has. */
  async count(userId: string, tx: Tx): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [kind, counter] of this.counters) out[kind] = await counter(userId, tx);
    return out;
  }
}
