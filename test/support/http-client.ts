import http from 'node:http';
import type { Tokens } from './auth';

export type { Tokens };

export interface HttpResult {
  /** 0 when no HTTP answer came back (refused, reset, timed out) */
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
  error?: string;
  /** when the answer (or the failure) arrived, Date.now() */
  at: number;
}

export interface SendOptions {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  /** an object is sent as JSON; a string or Buffer is sent as is (malformed bodies) */
  body?: unknown;
  /** a keep-alive agent by default; `false` opens a connection of its own (Connection: close) */
  agent?: http.Agent | false;
  timeoutMs?: number;
  /** called once the whole request has been handed to the OS */
  onSent?: () => void;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A small HTTP client that never throws: network failures come back as status 0, so load loops
 * can count them instead of dying on the first one.
 */
export function send(base: string, o: SendOptions): Promise<HttpResult> {
  const url = new URL(base);
  const headers: Record<string, string | string[]> = { ...(o.headers ?? {}) };
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) payload = Buffer.from(o.body as string);
    else {
      payload = Buffer.from(JSON.stringify(o.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<HttpResult, 'at'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, at: Date.now() });
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: o.method ?? 'GET',
        path: o.path,
        headers,
        agent: o.agent === undefined ? keepAlive : o.agent,
        timeout: o.timeoutMs ?? 15000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          done({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', (err) => done({ status: 0, headers: {}, text: '', body: undefined, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done({ status: 0, headers: {}, text: '', body: undefined, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    if (o.onSent) req.once('finish', o.onSent);
    if (payload) req.write(payload);
    req.end();
  });
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A tiny typed client for the calls every scenario makes. */
export class Api {
  constructor(readonly base: string) {}

  send(o: SendOptions): Promise<HttpResult> {
    return send(this.base, o);
  }

  register(email: string, password: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return send(this.base, { method: 'POST', path: '/api/v1/auth/register', headers, body: { email, password } });
  }
  login(email: string, password: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return send(this.base, { method: 'POST', path: '/api/v1/auth/login', headers, body: { email, password } });
  }
  refresh(refreshToken: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return send(this.base, { method: 'POST', path: '/api/v1/auth/refresh', headers, body: { refresh_token: refreshToken } });
  }
  me(accessToken: string): Promise<HttpResult> {
    return send(this.base, { path: '/api/v1/auth/me', headers: bearer(accessToken) });
  }
  logout(accessToken: string): Promise<HttpResult> {
    return send(this.base, { method: 'POST', path: '/api/v1/auth/logout', headers: bearer(accessToken) });
  }
  ready(): Promise<HttpResult> {
    return send(this.base, { path: '/api/v1/health/ready', timeoutMs: 5000 });
  }
  detailedHealth(token: string, timeoutMs = 5000): Promise<HttpResult> {
    return send(this.base, { path: '/api/v1/health/detailed', headers: bearer(token), timeoutMs });
  }

  /** register + login, throwing on anything unexpected (setup only) */
  async account(email: string, password: string, headers: Record<string, string> = {}): Promise<Tokens> {
    const r = await this.register(email, password, headers);
    if (r.status !== 201) throw new Error(`register ${email}: ${r.status} ${r.text} ${r.error ?? ''}`);
    return this.signIn(email, password, headers);
  }
  async signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<Tokens> {
    const r = await this.login(email, password, headers);
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text} ${r.error ?? ''}`);
    return r.body as Tokens;
  }
}
