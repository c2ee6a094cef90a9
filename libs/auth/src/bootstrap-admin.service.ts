import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig, ConfigError } from '@app/config';
import { Clock } from '@app/common';
import { EmailTakenError, UsersRepository } from '@app/users';
import { PasswordHasher } from './passwords/password-hasher';
import { PasswordPolicy } from './passwords/password-policy';

/**
 * The address of the embedded mode's generated admin. It must pass the product's own email
 * validation (a domain with a TLD): `admin@localhost` could not ask for a reset link. example.com
 * is reserved (RFC 2606), so no real mailbox receives what is sent there.
 */
export const EMBEDDED_ADMIN_EMAIL = 'admin@example.com';

/**
 * Creates the first admin at boot when no active admin exists: from BOOTSTRAP_ADMIN_EMAIL /
 * BOOTSTRAP_ADMIN_PASSWORD, or, in the embedded mode without them, with generated credentials
 * printed once (they are never shown again).
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('BootstrapAdmin');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { enabled, email, password } = this.config.auth.bootstrapAdmin;
    if (!enabled || (!email && !this.config.app.embedded)) return;
    if (await this.users.adminExists()) return;

    if (email && password) {
      const problems = await this.policy.problems(password, { email });
      if (problems.length) throw new ConfigError(`Invalid configuration: BOOTSTRAP_ADMIN_PASSWORD ${problems.join('; ')}`);
      if (await this.create(email, password)) this.logger.log(`Created the bootstrap admin ${email}`);
      return;
    }
    const generatedEmail = EMBEDDED_ADMIN_EMAIL;
    const generatedPassword = `${randomBytes(12).toString('base64url')}-Aa1!`;
    if (await this.create(generatedEmail, generatedPassword)) {
      // printed on purpose, once: the embedded mode's first admin (development only)
      process.stdout.write(`\n  Bootstrap admin created (embedded mode; shown once):\n    email:    ${generatedEmail}\n    password: ${generatedPassword}\n\n`);
    }
  }

  private async create(email: string, password: string): Promise<boolean> {
    if (await this.users.findByEmail(email)) {
      this.logger.warn(`No active admin exists, but ${email} is taken by a non-admin account; not creating one`);
      return false;
    }
    try {
      await this.users.create({ email, passwordHash: await this.hasher.hash(password), role: 'admin', emailVerifiedAt: this.clock.now() });
      return true;
    } catch (err) {
      // another node created it at the same moment
      if (err instanceof EmailTakenError) return false;
      throw err;
    }
  }
}
