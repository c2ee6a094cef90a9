export * from './webhooks.module';
export * from './webhooks.service';
export * from './deliveries/webhook-delivery.service';
export * from './webhook-events';
export * from './signature';
export { isPublicAddress } from './targets/address-policy';
export { HostResolver, type ResolvedAddress } from './targets/webhook-targets';
