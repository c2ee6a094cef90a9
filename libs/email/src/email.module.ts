import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Mailer } from './outbox/mailer.service';
import { OutboxDeliveryService } from './outbox/outbox-delivery.service';
import { OutboxRepository } from './outbox/outbox.repository';
import { LogTransport } from './transport/log.transport';
import { MailTransport } from './transport/mail-transport';
import { ResendTransport } from './transport/resend.transport';

/** Mail: templates, the transactional outbox and its delivery job, Resend or log transport. */
@Module({
  providers: [
    {
      provide: MailTransport,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): MailTransport => {
        if (config.email.resendApiKey) return new ResendTransport(config.email.resendApiKey, config.email.resendBaseUrl);
        if (config.app.nodeEnv === 'production') new Logger('Mail').warn('RESEND_API_KEY is not set: mail is logged, not sent');
        return new LogTransport(config.app.nodeEnv === 'production');
      },
    },
    OutboxRepository,
    Mailer,
    OutboxDeliveryService,
  ],
  exports: [Mailer, OutboxDeliveryService, OutboxRepository, MailTransport],
})
export class EmailModule {}
