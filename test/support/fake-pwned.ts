import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Pwned Passwords range API (k-anonymity): `GET /range/{first 5 hex of SHA-1}` answers the
 * suffixes of the breached passwords with that prefix, one `SUFFIX:COUNT` per line. Records
 * the prefixes it was asked for, and can be told to answer slowly.
 */
export class FakePwnedPasswords {
  private server?: Server;
  url = '';
  readonly prefixesAsked: string[] = [];
  readonly requests: string[] = [];
  private readonly breached = new Set<string>();
  delayMs = 0;

  breach(password: string): void {
    this.breached.add(createHash('sha1').update(password).digest('hex').toUpperCase());
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const m = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const prefix = m[1].toUpperCase();
      this.prefixesAsked.push(prefix);
      const lines = [...this.breached].filter((h) => h.startsWith(prefix)).map((h) => `${h.slice(5)}:42`);
      // padding lines like the real service, so the answer's size says nothing
      lines.push('0000000000000000000000000000000000A:0');
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(lines.join('\r\n')), this.delayMs);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
