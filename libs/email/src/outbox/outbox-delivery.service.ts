import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { PeriodicJob, SecretBox } from '@app/common';
import { MailMessage, MailSendError, MailTransport } from '../transport/mail-transport';
import { OUTBOX_SEAL_PURPOSE } from './mailer.service';
import { drainOutbox, retryDelayMs } from './outbox-queue';
import { ClaimedMail, OutboxRepository } from './outbox.repository';

const BATCH = 20;
const LEASE_MS = 60_000;

/**
 * Delivers the outbox: claims due rows (SKIP LOCKED + lease), sends each with its row id as the
 * idempotency key, then records sent / retry-with-backoff / failed. A message the provider refuses
 * (permanent error) fails alone and never blocks the others. Runs in the API when
 * EMAIL_DELIVERY_IN_API is on (the default) and always in the worker; both at once are safe.
 */
@Injectable()
export class OutboxDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private readonly box: SecretBox;
  private readonly job = new PeriodicJob('Outbox delivery', this.logger, () => this.deliverDue());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: OutboxRepository,
    private readonly transport: MailTransport,
  ) {
    this.box = new SecretBox(config.auth.jwtSecret, OUTBOX_SEAL_PURPOSE);
  }

  onApplicationBootstrap(): void {
    if (this.config.email.deliveryInApi) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  start(): void {
    this.job.start(this.config.email.pollIntervalMs);
  }

  /** One delivery pass until nothing is due (joins one in flight); resolves with the number of mails handled. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private deliverDue(): Promise<number> {
    return drainOutbox(
      () => this.repo.claim(BATCH, LEASE_MS),
      (mail) => this.deliver(mail),
      () => this.job.stopped,
    );
  }

  private async deliver(mail: ClaimedMail): Promise<void> {
    const opened = mail.sealed ? this.box.open(mail.sealed, mail.id) : null;
    if (!opened) {
      await this.repo.markFailed(mail, 'payload cannot be opened (JWT_SECRET changed?)');
      return;
    }
    const message = { ...(JSON.parse(opened) as Omit<MailMessage, 'to'>), to: mail.recipient };
    try {
      const providerId = await this.transport.send(message, mail.id);
      await this.repo.markSent(mail, providerId);
    } catch (err) {
      const e = err instanceof MailSendError ? err : new MailSendError((err as Error).message, false);
      if (e.permanent || mail.attempts >= this.config.email.maxAttempts) {
        this.logger.warn(`Mail ${mail.id} (${mail.template}) failed for good after ${mail.attempts} attempt(s): ${e.message}`);
        await this.repo.markFailed(mail, e.message);
      } else {
        await this.repo.markRetry(mail, retryDelayMs(mail.attempts, this.config.email.retryBaseMs), e.message);
      }
    }
  }
}
