export * from './webhooks.module';
export { WebhookDeliveryService } from './deliveries/webhook-delivery.service';
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events';
/** the resolver the address rule asks: tests answer for a DNS they do not control */
export { HostResolver, type ResolvedAddress } from './targets/webhook-targets';
