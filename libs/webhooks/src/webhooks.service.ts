import { Injectable } from '@nestjs/common';
import { type Actor, decodeCursor, DomainEvents } from '@app/common';
import { UnitOfWork } from '@app/database';
import { WebhookDelivery } from './deliveries/webhook-delivery.rows';
import { WebhookDeliveriesRepository } from './deliveries/webhook-deliveries.repository';
import { WebhookEndpoint } from './endpoints/webhook-endpoint.rows';
import { type NewWebhookEndpoint, type WebhookEndpointChanges, WebhookEndpointsRepository } from './endpoints/webhook-endpoints.repository';
import { WebhookSecretBox } from './endpoints/webhook-secret-box';
import { WebhooksErrors } from './errors';
import { generateWebhookSecret } from './signature';
import { WebhookTargets } from './targets/webhook-targets';

/**
 * Webhook endpoints as admins manage them: the URL rule on every save, a secret generated on
 * creation (returned once, then only kept sealed for the delivery job), `admin.webhook_changed`
 * recorded with every change, and the deliveries page of an endpoint. The audit metadata names
 * the URL's host only: a path or query may carry a receiver's token.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly targets: WebhookTargets,
    private readonly secrets: WebhookSecretBox,
    private readonly events: DomainEvents,
  ) {}

  list(page: { limit: number; cursor?: string }): Promise<WebhookEndpoint[]> {
    return this.endpoints.list({ limit: page.limit, cursor: page.cursor ? decodeCursor(page.cursor) : undefined });
  }

  async get(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findById(id);
    if (!endpoint) throw WebhooksErrors.endpointNotFound();
    return endpoint;
  }

  async create(actor: Actor, input: Omit<NewWebhookEndpoint, 'enabled'> & { enabled?: boolean }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    await this.assertUrl(input.url);
    const secret = generateWebhookSecret();
    return this.uow.run(async (tx) => {
      const endpoint = await this.endpoints.create({ ...input, enabled: input.enabled ?? true }, (id) => this.secrets.seal(secret, id), tx);
      await this.events.record('admin.webhook_changed', actor, { target: null, metadata: { action: 'created', ...summary(endpoint) }, tx });
      return { endpoint, secret };
    });
  }

  async update(actor: Actor, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint> {
    const given = (Object.keys(changes) as (keyof WebhookEndpointChanges)[]).filter((k) => changes[k] !== undefined);
    if (given.length === 0) throw WebhooksErrors.emptyChange();
    if (changes.url !== undefined) await this.assertUrl(changes.url);
    return this.uow.run(async (tx) => {
      const before = await this.endpoints.lock(id, tx);
      if (!before) throw WebhooksErrors.endpointNotFound();
      const after = (await this.endpoints.update(id, changes, tx))!;
      const changed = given.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
      await this.events.record('admin.webhook_changed', actor, {
        target: null,
        metadata: { action: 'updated', ...summary(after), changed_fields: changed },
        tx,
      });
      return after;
    });
  }

  /** Deletes the endpoint and its deliveries (queued ones are not sent). */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const endpoint = await this.endpoints.lock(id, tx);
      if (!endpoint) throw WebhooksErrors.endpointNotFound();
      const deliveries = await this.deliveries.deleteForEndpoint(id, tx);
      await this.endpoints.delete(id, tx);
      await this.events.record('admin.webhook_changed', actor, {
        target: null,
        metadata: { action: 'deleted', ...summary(endpoint), deleted_deliveries: deliveries },
        tx,
      });
    });
  }

  async deliveriesOf(id: string, page: { limit: number; cursor?: string }): Promise<WebhookDelivery[]> {
    await this.get(id);
    return this.deliveries.listForEndpoint(id, { limit: page.limit, cursor: page.cursor ? decodeCursor(page.cursor) : undefined });
  }

  private async assertUrl(url: string): Promise<void> {
    const problem = await this.targets.problemWith(url);
    if (problem) throw WebhooksErrors.urlNotAllowed(problem);
  }
}

function summary(e: WebhookEndpoint): Record<string, unknown> {
  return { webhook_id: e.id, host: new URL(e.url).host, events: e.events, enabled: e.enabled };
}
