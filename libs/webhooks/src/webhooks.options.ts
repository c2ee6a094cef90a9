export const WEBHOOKS_OPTIONS = Symbol('WEBHOOKS_OPTIONS');

export interface WebhooksOptions {
  /** run the delivery job on a timer in this process (the worker always; the API when WEBHOOKS_DELIVERY_IN_API) */
  deliver: boolean;
}
