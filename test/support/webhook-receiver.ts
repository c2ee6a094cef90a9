import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** the raw body, as signed */
  body: string;
  /** what this receiver answered */
  status: number;
}

/**
 * A local webhook receiver: records every request with its raw body, answers 204 unless told to
 * answer something else for the next requests, to hang, or to redirect; can go down (port closed)
 * and come back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly script: (number | 'hang')[] = [];
  private server?: http.Server;
  private port = 0;

  get up(): boolean {
    return this.server !== undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Down: the port refuses connections until `start()` again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The next requests get these answers, in order (a status, or `hang`: no answer at all); then 204 again. */
  answer(...next: (number | 'hang')[]): void {
    this.script.push(...next);
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const next = this.script.shift() ?? 204;
      this.received.push({ path: req.url ?? '', headers: req.headers, body, status: next === 'hang' ? 0 : next });
      if (next === 'hang') return;
      if (next >= 300 && next < 400) res.setHeader('Location', `${this.url}/redirected`);
      res.statusCode = next;
      res.end(next === 204 ? undefined : 'answer');
    });
  }
}

/**
 * The Standard Webhooks verification, written from the spec (not the server's code): HMAC-SHA256
 * keyed with the base64-decoded secret after `whsec_`, over `${id}.${timestamp}.${body}`; the
 * header holds space-separated `v1,<base64>` signatures.
 */
export function verifyStandardWebhook(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return signatures.split(' ').some((s) => s === `v1,${expected}`);
}
