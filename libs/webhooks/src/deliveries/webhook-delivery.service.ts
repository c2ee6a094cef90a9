import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Clock, PeriodicJob } from '@app/common';
import { drainOutbox, retryDelayMs } from '@app/email';
import { WebhookEndpoint } from '../endpoints/webhook-endpoint.rows';
import { WebhookEndpointsRepository } from '../endpoints/webhook-endpoints.repository';
import { WebhookSecretBox } from '../endpoints/webhook-secret-box';
import { signWebhook } from '../signature';
import { WebhookTargets } from '../targets/webhook-targets';
import { WEBHOOKS_OPTIONS, type WebhooksOptions } from '../webhooks.options';
import { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookSender } from './webhook-sender';

const BATCH = 20;
/** longer than the longest attempt (WEBHOOKS_TIMEOUT_MS ≤ 30 s), so a lease never runs out under a live attempt */
const LEASE_MS = 60_000;

/**
 * Delivers webhooks: claims due deliveries (the outbox mechanics of OutboxQueue), signs each
 * attempt per the Standard Webhooks spec — same `webhook-id` (the delivery's id) and body every
 * time, fresh timestamp and signature — and POSTs it to the endpoint's current URL after checking
 * where it resolves. 2xx: delivered; anything else, a network error or a refused address: retried
 * with exponential backoff until WEBHOOKS_MAX_ATTEMPTS, then failed. At least once: a receiver
 * that answered after the lease ran out may see an id again, and must dedupe on it.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly job = new PeriodicJob('Webhook delivery', this.logger, () => this.deliverDue());
  private readonly userAgent: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly secrets: WebhookSecretBox,
    private readonly targets: WebhookTargets,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
  ) {
    this.userAgent = `identity-webhooks/${config.app.version}`;
  }

  onApplicationBootstrap(): void {
    if (this.config.webhooks.allowPrivate && this.config.app.nodeEnv === 'production') {
      this.logger.warn('WEBHOOKS_ALLOW_PRIVATE=true: webhooks may be sent over plain http and to loopback and private addresses of this network');
    }
    if (this.options.deliver) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  start(): void {
    this.job.start(this.config.webhooks.pollIntervalMs);
  }

  /** One delivery pass until nothing is due (joins one in flight); resolves with the number of deliveries handled. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private deliverDue(): Promise<number> {
    return drainOutbox(
      () => this.claim(),
      ({ delivery, endpoint }) => this.deliver(delivery, endpoint),
      () => this.job.stopped,
    );
  }

  private async claim(): Promise<{ delivery: ClaimedDelivery; endpoint?: WebhookEndpoint }[]> {
    const batch = await this.deliveries.claim(BATCH, LEASE_MS);
    const endpoints = new Map((await this.endpoints.findMany([...new Set(batch.map((d) => d.endpointId))])).map((e) => [e.id, e]));
    return batch.map((delivery) => ({ delivery, endpoint: endpoints.get(delivery.endpointId) }));
  }

  private async deliver(delivery: ClaimedDelivery, endpoint: WebhookEndpoint | undefined): Promise<void> {
    if (!endpoint) {
      await this.deliveries.markFailed(delivery, 'the endpoint was deleted', null);
      return;
    }
    const secret = this.secrets.open(endpoint.secretSealed, endpoint.id);
    if (!secret) {
      this.logger.warn(`Webhook endpoint ${endpoint.id}: its secret cannot be opened (KEY_ENCRYPTION_SECRET or JWT_SECRET changed?); recreate it`);
      await this.deliveries.markFailed(delivery, 'the endpoint secret cannot be opened (KEY_ENCRYPTION_SECRET changed?)', null);
      return;
    }
    let status: number | null = null;
    try {
      const url = new URL(endpoint.url);
      const address = await this.targets.resolve(url);
      const timestamp = Math.floor(this.clock.now().getTime() / 1000);
      status = await this.sender.send({
        url,
        address,
        body: delivery.payload,
        timeoutMs: this.config.webhooks.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'user-agent': this.userAgent,
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, delivery.id, timestamp, delivery.payload),
        },
      });
      if (status >= 200 && status < 300) {
        await this.deliveries.markDelivered(delivery, status);
        return;
      }
      await this.failed(delivery, `answered HTTP ${status}`, status);
    } catch (err) {
      await this.failed(delivery, (err as Error).message || String(err), status);
    }
  }

  private async failed(delivery: ClaimedDelivery, reason: string, status: number | null): Promise<void> {
    if (delivery.attempts >= this.config.webhooks.maxAttempts) {
      this.logger.warn(`Webhook ${delivery.id} (${delivery.event}) failed for good after ${delivery.attempts} attempt(s): ${reason}`);
      await this.deliveries.markFailed(delivery, reason, status);
    } else {
      await this.deliveries.markRetry(delivery, retryDelayMs(delivery.attempts, this.config.webhooks.retryBaseMs), reason, status);
    }
  }
}
