import { availableParallelism } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { APP_CONFIG, AppConfig } from '@app/config';
import { normalizePassword } from './password-policy';

/**
 * argon2id with the ARGON2_* parameters. Hashing runs on libuv's thread pool, so the event loop
 * keeps serving other requests during a login flood; at most one hash per CPU this process may
 * run on is computed at a time (the rest wait their turn in order). More would not finish sooner
 * (the work is CPU-bound) but would crowd the event loop off its CPU — every runnable hashing
 * thread takes an equal share — and fill libuv's pool, which file and DNS work share.
 */
@Injectable()
export class PasswordHasher {
  private readonly options: argon2.HashOptions & { raw?: false };
  private dummy?: Promise<string>;
  private readonly slots = new Slots(Math.max(1, availableParallelism()));

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const a = config.auth.argon2;
    this.options = { type: argon2.argon2id, memoryCost: a.memoryCost, timeCost: a.timeCost, parallelism: a.parallelism };
  }

  /** Hashes the NFKC form: the same password typed on another keyboard or OS matches. */
  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(normalizePassword(password), { ...this.options, raw: false }));
  }

  /**
   * `'current'` when the NFKC form matches; `'legacy'` when only the password as typed does (a
   * hash made before passwords were normalised: the caller should rehash); false otherwise, and
   * for a malformed hash rather than an error.
   */
  async verify(hash: string, password: string): Promise<false | 'current' | 'legacy'> {
    const normalized = normalizePassword(password);
    if (await this.verifyExact(hash, normalized)) return 'current';
    if (normalized !== password && (await this.verifyExact(hash, password))) return 'legacy';
    return false;
  }

  private async verifyExact(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /**
   * Spends one verify against a hash of the current parameters, so a login for an unknown email
   * (or an account without a password) costs the same time as a wrong password.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('dummy-password-for-timing-equalisation');
    await this.verify(await this.dummy, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }
}

/** A counting semaphore: at most `size` tasks run at once, the others start in arrival order. */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
