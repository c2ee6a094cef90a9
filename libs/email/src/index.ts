export * from './email.module';
export * from './outbox/mailer.service';
export * from './outbox/outbox-delivery.service';
export * from './outbox/outbox.repository';
export * from './outbox/outbox-queue';
export * from './transport/mail-transport';
export * from './templates/templates';
