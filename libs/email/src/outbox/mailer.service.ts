import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SecretBox, type Tx } from '@app/common';
import { MailTemplate, render } from '../templates/templates';
import { OutboxRepository } from './outbox.repository';

export const OUTBOX_SEAL_PURPOSE = 'email-outbox-v1';

/**
 * The only way the product sends mail: `queue` renders the message and writes it to the outbox
 * inside the caller's transaction, so the mail exists exactly when the change that needs it
 * committed. Delivery happens later (OutboxDeliveryService); the request never waits on Resend.
 */
@Injectable()
export class Mailer {
  private readonly box: SecretBox;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
  ) {
    this.box = new SecretBox(config.auth.jwtSecret, OUTBOX_SEAL_PURPOSE);
  }

  /** Queues a mail in the outbox inside the caller's unit of work: it is sent only if that commits. */
  async queue(tx: Tx, to: string, mail: MailTemplate): Promise<string> {
    const rendered = render(mail);
    const message = JSON.stringify({ ...rendered, from: this.config.email.from });
    return this.outbox.enqueue(tx, to, mail.template, (id) => this.box.seal(message, id));
  }
}
