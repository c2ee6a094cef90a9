import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';

const TIMEOUT_MS = 2000;

export type BreachCheckOutcome = 'clean' | 'breached' | 'skipped';

/**
 * The optional breached-password check (PWNED_PASSWORDS_URL, a k-anonymity range API such as
 * Have I Been Pwned's): only the first five hex digits of the password's SHA-1 leave the server,
 * and the answer lists the suffixes sharing them. It never blocks a sign-up: an unreachable or
 * slow (over 2 s) service skips the check, which is logged and counted (metrics).
 */
@Injectable()
export class BreachedPasswords {
  private readonly logger = new Logger('BreachedPasswords');
  private readonly url?: string;
  readonly counts: Record<BreachCheckOutcome, number> = { clean: 0, breached: 0, skipped: 0 };

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.url = config.auth.passwordPolicy.pwnedPasswordsUrl;
  }

  /** true when listed; false when not listed, not configured, or the check was skipped. */
  async isBreached(password: string): Promise<boolean> {
    if (!this.url) return false;
    const sha1 = createHash('sha1').update(password).digest('hex').toUpperCase();
    const prefix = sha1.slice(0, 5);
    const suffix = sha1.slice(5);
    let body: string;
    try {
      const res = await fetch(`${this.url}/range/${prefix}`, { headers: { 'Add-Padding': 'true' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      body = await res.text();
    } catch (err) {
      this.counts.skipped++;
      this.logger.warn(`Breached-password check skipped: ${(err as Error).message}`);
      return false;
    }
    const listed = body.split(/\r?\n/).some((line) => {
      const [s, count] = line.trim().split(':');
      return s?.toUpperCase() === suffix && Number(count) > 0;
    });
    this.counts[listed ? 'breached' : 'clean']++;
    return listed;
  }
}
