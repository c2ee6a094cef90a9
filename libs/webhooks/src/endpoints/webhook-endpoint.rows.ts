import type { WebhookEventType } from '../webhook-events';

/** A row of `webhook_endpoints`. */
export class WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  /** false: no new deliveries are queued for it */
  enabled: boolean;
  /** the whsec_ secret, sealed (SecretBox, bound to the id): only the delivery job opens it */
  secretSealed: string;
  createdAt: Date;
  updatedAt: Date;
}

const ENDPOINT_FIELDS = ['id', 'url', 'events', 'description', 'enabled', 'secret_sealed', 'created_at', 'updated_at'] as const;

/** The columns `webhookEndpointFromRow` reads, qualified by `alias`. */
export function webhookEndpointColumns(alias: string): string {
  return ENDPOINT_FIELDS.map((c) => `${alias}.${c}`).join(', ');
}

export function webhookEndpointFromRow(r: Record<string, unknown>): WebhookEndpoint {
  const e = new WebhookEndpoint();
  e.id = r.id as string;
  e.url = r.url as string;
  e.events = r.events as WebhookEventType[];
  e.description = (r.description as string | null) ?? null;
  e.enabled = r.enabled === true;
  e.secretSealed = r.secret_sealed as string;
  e.createdAt = new Date(r.created_at as string | Date);
  e.updatedAt = new Date(r.updated_at as string | Date);
  return e;
}
