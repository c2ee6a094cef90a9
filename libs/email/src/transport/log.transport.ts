import { Logger } from '@nestjs/common';
import { MailMessage, MailTransport } from './mail-transport';

/**
 * No RESEND_API_KEY: mail is written to the log instead of being sent. Outside production the
 * whole text part is printed (its links are how a developer verifies and resets in the embedded
 * mode); in production only the recipient and subject, since the text carries live tokens.
 */
export class LogTransport extends MailTransport {
  readonly provider = 'log' as const;
  private readonly logger = new Logger('Mail');

  constructor(private readonly production: boolean) {
    super();
  }

  async send(message: MailMessage, idempotencyKey: string): Promise<string | null> {
    if (this.production) {
      this.logger.warn(`No RESEND_API_KEY: mail "${message.subject}" to ${message.to} was not sent`);
    } else {
      process.stdout.write(`\n--- mail ${idempotencyKey} ---\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n--- end of mail ---\n\n`);
    }
    return null;
  }
}
