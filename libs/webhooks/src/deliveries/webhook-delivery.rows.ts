/** Where a delivery stands: `sending` while a deliverer holds its lease. */
export type WebhookDeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';

/** A row of `webhook_deliveries` as the admin listing shows it (never the payload). */
export class WebhookDelivery {
  /** also the `webhook-id` header of every attempt */
  id: string;
  endpointId: string;
  event: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

const DELIVERY_FIELDS = ['id', 'endpoint_id', 'event', 'status', 'attempts', 'last_status_code', 'next_attempt_at', 'created_at', 'delivered_at'] as const;

/** The columns `webhookDeliveryFromRow` reads, qualified by `alias`. */
export function webhookDeliveryColumns(alias: string): string {
  return DELIVERY_FIELDS.map((c) => `${alias}.${c}`).join(', ');
}

export function webhookDeliveryFromRow(r: Record<string, unknown>): WebhookDelivery {
  const d = new WebhookDelivery();
  d.id = r.id as string;
  d.endpointId = r.endpoint_id as string;
  d.event = r.event as string;
  d.status = r.status as WebhookDeliveryStatus;
  d.attempts = Number(r.attempts);
  d.lastStatusCode = r.last_status_code == null ? null : Number(r.last_status_code);
  d.nextAttemptAt = new Date(r.next_attempt_at as string | Date);
  d.createdAt = new Date(r.created_at as string | Date);
  d.deliveredAt = r.delivered_at == null ? null : new Date(r.delivered_at as string | Date);
  return d;
}
