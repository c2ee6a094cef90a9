import { Injectable, Logger } from '@nestjs/common';
import { Clock, type DomainEvent, OnEvents } from '@app/common';
import { User, UserDto, UsersRepository } from '@app/users';
import { WebhookDeliveriesRepository } from './deliveries/webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './endpoints/webhook-endpoints.repository';
import { WEBHOOK_SOURCES, webhookEventsFor } from './webhook-events';

/**
 * Turns domain events into deliveries, like audit turns them into records: inside the change's
 * unit of work when the event carries one (`tx`), so a delivery exists exactly when the change
 * committed, and a failure to write it fails the change. One delivery per subscribed endpoint;
 * the body is built once, here: `{type, timestamp, data}` with `data.user` the user as the change
 * left it (the public User shape: no hash, no secret) and the event's own ids and fields.
 */
@Injectable()
export class WebhooksListener {
  private readonly logger = new Logger(WebhooksListener.name);

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  @OnEvents(WEBHOOK_SOURCES, { async: false, promisify: true, suppressErrors: false })
  async onEvent(event: DomainEvent): Promise<void> {
    try {
      let user: User | null | undefined;
      for (const webhook of webhookEventsFor(event)) {
        const endpointIds = await this.endpoints.subscribedTo(webhook.type, event.tx);
        if (endpointIds.length === 0) continue;
        if (user === undefined) user = await this.users.findById(webhook.userId, event.tx);
        if (!user) return;
        const body = JSON.stringify({ type: webhook.type, timestamp: this.clock.now().toISOString(), data: { user: UserDto.from(user), ...webhook.data } });
        await this.deliveries.enqueue(endpointIds, webhook.type, body, event.tx);
      }
    } catch (err) {
      this.logger.error(`Could not queue the webhooks of ${event.name}: ${(err as Error).message}`);
      throw err;
    }
  }
}
