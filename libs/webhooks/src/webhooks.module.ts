import { DynamicModule, Module } from '@nestjs/common';
import { UsersModule } from '@app/users';
import { WebhookDeliveriesRepository } from './deliveries/webhook-deliveries.repository';
import { WebhookDeliveryService } from './deliveries/webhook-delivery.service';
import { WebhookSender } from './deliveries/webhook-sender';
import { WebhookEndpointsRepository } from './endpoints/webhook-endpoints.repository';
import { WebhookSecretBox } from './endpoints/webhook-secret-box';
import { HostResolver, WebhookTargets } from './targets/webhook-targets';
import { AdminWebhooksController } from './webhooks.controller';
import { WebhooksListener } from './webhooks.listener';
import { WEBHOOKS_OPTIONS, type WebhooksOptions } from './webhooks.options';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks (v1.2): endpoints managed through the admin API, deliveries queued by a listener of
 * domain events in the change's transaction, and the delivery job (the outbox mechanics of the
 * email lib). The worker schedules the job; the API when WEBHOOKS_DELIVERY_IN_API (the default);
 * anyone may call `WebhookDeliveryService.runOnce()`.
 */
@Module({})
export class WebhooksModule {
  static forRoot(options: WebhooksOptions): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [UsersModule],
      controllers: [AdminWebhooksController],
      providers: [
        { provide: WEBHOOKS_OPTIONS, useValue: options },
        HostResolver,
        WebhookEndpointsRepository,
        WebhookDeliveriesRepository,
        WebhookSecretBox,
        WebhookTargets,
        WebhookSender,
        WebhooksListener,
        WebhooksService,
        WebhookDeliveryService,
      ],
      exports: [WebhookDeliveryService],
    };
  }
}
