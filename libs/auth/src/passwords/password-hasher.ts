import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { APP_CONFIG, AppConfig } from '@app/config';

/**
 * argon2id with the ARGON2_* parameters. Hashing runs on libuv's thread pool, so the event loop
 * keeps serving other requests during a login flood.
 */
@Injectable()
export class PasswordHasher {
  private readonly options: argon2.HashOptions & { raw?: false };
  private dummy?: Promise<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const a = config.auth.argon2;
    this.options = { type: argon2.argon2id, memoryCost: a.memoryCost, timeCost: a.timeCost, parallelism: a.parallelism };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { ...this.options, raw: false });
  }

  /** false for a malformed hash rather than an error */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
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
