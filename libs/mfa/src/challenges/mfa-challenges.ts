import { Injectable } from '@nestjs/common';
import { generateToken, sha256 } from '@app/common';
import { KeyValueStore } from '@app/redis';

export const MFA_TOKEN_TTL_S = 300;
export const MFA_TOKEN_MAX_FAILURES = 5;

/** A sign-in that proved its first factor and waits for the second (the `mfa_token`). */
export interface PendingSignIn {
  userId: string;
  /** the session's auth_method once the second step succeeds: password, google or github */
  method: string;
  /** amr of the first step: pwd or oauth */
  amr: string[];
  /** audit metadata of the first step (provider, ...) */
  metadata: Record<string, unknown>;
}

const tokenKey = (hash: string) => `mfa:t:${hash}`;
const attemptsKey = (hash: string) => `mfa:a:${hash}`;

/**
 * `mfa_token`s in the shared store: 32 random bytes, only the hash kept, 5 minutes. Attempts
 * are counted atomically (INCR): after 5 wrong codes the token is dead. Redeeming is GETDEL: once.
 */
@Injectable()
export class MfaChallenges {
  constructor(private readonly kv: KeyValueStore) {}

  async issue(pending: PendingSignIn): Promise<string> {
    const token = generateToken(32);
    await this.kv.set(tokenKey(sha256(token)), JSON.stringify(pending), MFA_TOKEN_TTL_S * 1000);
    return token;
  }

  /**
   * One attempt at the second step, counted before the code is checked (INCR, atomic: parallel
   * guesses cannot slip past the limit): the pending sign-in while the token is live (not used,
   * not expired, at most 5 attempts), else null. A successful attempt then redeems the token.
   */
  async attempt(token: string): Promise<PendingSignIn | null> {
    const h = sha256(token);
    const raw = (await this.kv.mget([tokenKey(h)]))[0];
    if (!raw) return null;
    const n = await this.kv.incr(attemptsKey(h), MFA_TOKEN_TTL_S * 1000);
    if (n > MFA_TOKEN_MAX_FAILURES) {
      await this.kv.del([tokenKey(h)]);
      return null;
    }
    return parse(raw);
  }

  /** The pending sign-in of a live token, without counting an attempt (passkey options). */
  async peek(token: string): Promise<PendingSignIn | null> {
    const h = sha256(token);
    const [raw, attempts] = await this.kv.mget([tokenKey(h), attemptsKey(h)]);
    if (!raw || Number(attempts ?? 0) >= MFA_TOKEN_MAX_FAILURES) return null;
    return parse(raw);
  }

  /** After a wrong code: the 5th kills the token at once. */
  async failed(token: string): Promise<void> {
    const h = sha256(token);
    const [n] = await this.kv.mget([attemptsKey(h)]);
    if (Number(n ?? 0) >= MFA_TOKEN_MAX_FAILURES) await this.kv.del([tokenKey(h)]);
  }

  /** Redeems the token: the pending sign-in once, null to every later (or concurrent) caller. */
  async redeem(token: string): Promise<PendingSignIn | null> {
    const raw = await this.kv.take(tokenKey(sha256(token)));
    return raw ? parse(raw) : null;
  }
}

function parse(raw: string): PendingSignIn | null {
  try {
    return JSON.parse(raw) as PendingSignIn;
  } catch {
    return null;
  }
}
