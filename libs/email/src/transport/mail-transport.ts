export interface MailMessage {
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
}

/** A send that failed; `permanent` failures (the provider refused the message) are not retried. */
export class MailSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailSendError';
  }
}

/** Where mail goes: Resend, or the log in the embedded/development default. */
export abstract class MailTransport {
  abstract readonly provider: 'resend' | 'log';
  /** Resolves with the provider's message id; throws MailSendError. */
  abstract send(message: MailMessage, idempotencyKey: string): Promise<string | null>;
}
