import { Resend } from 'resend';
import { MailMessage, MailSendError, MailTransport } from './mail-transport';

const SEND_TIMEOUT_MS = 10_000;

/**
 * Resend through its SDK (base URL from RESEND_BASE_URL). The outbox row id is the idempotency
 * key, so a retry after a lost answer never delivers twice. 4xx answers other than 408/409/429 are
 * permanent (bad address, refused content); everything else is retried.
 */
export class ResendTransport extends MailTransport {
  readonly provider = 'resend' as const;
  private readonly client: Resend;

  constructor(apiKey: string, baseUrl?: string) {
    super();
    this.client = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  }

  async send(message: MailMessage, idempotencyKey: string): Promise<string | null> {
    let result;
    try {
      result = await this.client.emails.send({ from: message.from, to: [message.to], subject: message.subject, html: message.html, text: message.text }, {
        idempotencyKey,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      } as Parameters<Resend['emails']['send']>[1]);
    } catch (err) {
      throw new MailSendError(`Resend request failed: ${(err as Error).message}`, false);
    }
    if (result.error) {
      const status = (result.error as { statusCode?: number | null }).statusCode ?? null;
      const permanent = status !== null && status >= 400 && status < 500 && ![408, 409, 429].includes(status);
      throw new MailSendError(`Resend answered ${status ?? 'no response'}: ${result.error.name ?? ''} ${result.error.message ?? ''}`.trim(), permanent);
    }
    return result.data?.id ?? null;
  }
}
