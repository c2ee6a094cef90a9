import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMail {
  id: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

type Mode = { kind: 'ok' } | { kind: 'fail'; status: number } | { kind: 'hang' };

/**
 * A local stand-in for Resend's POST /emails: records every request (headers included), honours
 * Idempotency-Key like Resend (a repeated key returns the first answer without a second
 * delivery), and can be told to fail — for everyone, or for one recipient.
 */
export class FakeResend {
  readonly requests: SentMail[] = [];
  readonly delivered: SentMail[] = [];
  private readonly byKey = new Map<string, string>();
  private mode: Mode = { kind: 'ok' };
  private readonly rejectRecipients = new Map<string, number>();
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  succeed(): void {
    this.mode = { kind: 'ok' };
  }
  failWith(status: number): void {
    this.mode = { kind: 'fail', status };
  }
  hang(): void {
    this.mode = { kind: 'hang' };
  }
  /** This recipient is refused with `status` (e.g. 422: a permanent error). */
  reject(recipient: string, status = 422): void {
    this.rejectRecipients.set(recipient.toLowerCase(), status);
  }

  mailsTo(recipient: string): SentMail[] {
    return this.delivered.filter((m) => m.to.some((t) => t.toLowerCase() === recipient.toLowerCase()));
  }

  /** The first link in the last mail to `recipient` (with that subject, when given). */
  lastLink(recipient: string, subject?: string): string {
    const mails = this.mailsTo(recipient).filter((m) => !subject || m.subject === subject);
    const text = mails[mails.length - 1]?.text ?? '';
    const match = text.match(/https?:\/\/\S+/);
    if (!match) throw new Error(`no link in the mails to ${recipient}: ${JSON.stringify(mails)}`);
    return match[0];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/emails') return this.reply(res, 404, { statusCode: 404, name: 'not_found', message: 'Not found' });
      const body = JSON.parse(raw || '{}');
      const mail: SentMail = {
        id: '',
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        authorization: req.headers.authorization,
        from: body.from,
        to: Array.isArray(body.to) ? body.to : [body.to],
        subject: body.subject,
        html: body.html,
        text: body.text,
      };
      this.requests.push(mail);
      if (this.mode.kind === 'hang') return;
      if (this.mode.kind === 'fail')
        return this.reply(res, this.mode.status, { statusCode: this.mode.status, name: 'application_error', message: 'fake outage' });
      const refused = mail.to.map((t) => this.rejectRecipients.get(t.toLowerCase())).find(Boolean);
      if (refused) return this.reply(res, refused, { statusCode: refused, name: 'validation_error', message: 'Invalid `to` field' });
      const known = mail.idempotencyKey ? this.byKey.get(mail.idempotencyKey) : undefined;
      if (known) return this.reply(res, 200, { id: known });
      mail.id = randomUUID();
      if (mail.idempotencyKey) this.byKey.set(mail.idempotencyKey, mail.id);
      this.delivered.push(mail);
      this.reply(res, 200, { id: mail.id });
    });
  }

  private reply(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}
