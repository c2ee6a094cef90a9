import { createHmac, randomUUID } from 'node:crypto';

/** HS256 over any payload (jsonwebtoken refuses to sign malformed claims, which is the point here) */
function signRaw(payload: object, secret: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** What the fuzzer knows of one operation, read from /docs-json. */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: { name: string; schema: Schema }[];
  headerParams: string[];
  body?: Schema;
  secured: boolean;
}

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  $ref?: string;
  allOf?: Schema[];
  items?: Schema;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: { name: string; in: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const resolve = (s: Schema | undefined): Schema | undefined => {
    if (!s) return undefined;
    if (s.$ref) return resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!]);
    if (s.allOf) return { type: 'object', properties: Object.assign({}, ...s.allOf.map((x) => resolve(x)?.properties ?? {})) };
    return s;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema) ?? {} })),
        headerParams: params.filter((p) => p.in === 'header').map((p) => p.name),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Real values the generator mixes in, so requests reach past validation into the services. */
export interface Known {
  userToken: string;
  adminToken: string;
  refreshToken: string;
  ids: string[];
  emails: string[];
  password: string;
  jwtSecret: string;
  issuer: string;
  audience: string;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const NASTY = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '%',
  '%%',
  '%00',
  '\u0000',
  '../../../../etc/passwd',
  '..%2F..%2F',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\uD800',
  '💥🔥',
  'Ω≈ç√∫',
  '\r\nX-Injected: 1',
  'a'.repeat(300),
  'a'.repeat(5000),
  '2024-13-45T99:99:99Z',
  '9999-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'google',
  'github',
  'GOOGLE',
  'admin',
  'guest',
  '__proto__',
  'constructor',
];

/** encodeURIComponent that survives lone surrogates (it throws on them) */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

/** Builds random, mostly-wrong requests from a seeded PRNG. */
export class RequestFuzzer {
  constructor(
    private readonly rnd: () => number,
    private readonly known: Known,
  ) {}

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  private chance(p: number): boolean {
    return this.rnd() < p;
  }
  private word(max = 12): string {
    let s = '';
    for (let i = 0, n = 1 + this.int(max); i < n; i++) s += ALNUM[this.int(ALNUM.length)];
    return s;
  }
  private uuid(): string {
    const h = '0123456789abcdef';
    let s = '';
    for (let i = 0; i < 32; i++) s += h[this.int(16)];
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-8${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }

  /** a string value: plausible, known, or nasty */
  private str(): string {
    switch (this.int(8)) {
      case 0:
        return this.word();
      case 1:
        return this.uuid();
      case 2:
        return this.pick(this.known.ids);
      case 3:
        return this.pick(this.known.emails);
      case 4:
        return `${this.word(8)}@${this.word(6)}.test`;
      case 5:
        return `Aa1!${this.word(10)}`;
      default:
        return this.pick(NASTY);
    }
  }

  /** any JSON value, sometimes nested */
  private value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 6 : 9)) {
      case 0:
        return this.str();
      case 1:
        return this.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 100, 101]);
      case 2:
        return this.chance(0.5);
      case 3:
        return null;
      case 4:
      case 5:
        return this.str();
      case 6:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      case 7:
        return { [this.word()]: this.value(depth + 1) };
      default:
        return { constructor: { prototype: { polluted: 1 } }, ['__proto__']: { admin: true } };
    }
  }

  /** a value that fits `schema` now and then */
  private fitting(schema: Schema | undefined): unknown {
    if (!schema || this.chance(0.4)) return this.value();
    if (schema.enum && this.chance(0.7)) return this.pick(schema.enum);
    switch (schema.type) {
      case 'boolean':
        return this.chance(0.5) ? this.chance(0.5) : this.pick(['true', 'false', 'yes', 1]);
      case 'number':
      case 'integer':
        return this.pick([1, 20, 100, 0, -5, 101, 1e9]);
      default:
        if (schema.format === 'uuid') return this.chance(0.5) ? this.pick(this.known.ids) : this.uuid();
        if (schema.format === 'date-time') return new Date(Date.now() - this.int(1e10)).toISOString();
        return this.str();
    }
  }

  private plausible(name: string, schema: Schema): unknown {
    if (schema.enum) return this.pick(schema.enum);
    if (schema.type === 'boolean') return this.chance(0.5);
    if (name === 'email') return this.chance(0.5) ? this.pick(this.known.emails) : `${this.word(8).toLowerCase()}@example.com`;
    if (name === 'password' || name === 'new_password') return this.chance(0.3) ? this.known.password : `Aa1!${this.word(10)}`;
    if (name === 'current_password') return this.chance(0.5) ? this.known.password : `Aa1!${this.word(10)}`;
    if (name === 'refresh_token') return this.known.refreshToken;
    if (name === 'redirect_to') return this.pick(['/', '/settings', 'http://app.test/x', 'https://evil.test/']);
    return this.word(43);
  }

  private body(op: Operation): { body?: string | Buffer; contentType?: string } {
    const roll = this.int(20);
    if (roll === 0) return {};
    if (roll === 1)
      return { body: this.pick(['{', '{"a":', '[', 'nul', '{"email":"x"', '}{', '\u0000\u0001', '"\\u12"', '{"a":1,}']), contentType: 'application/json' };
    if (roll === 2) return { body: this.pick(['null', '[]', '"str"', '123', 'true', '[{}]', '[null]']), contentType: 'application/json' };
    if (roll === 3) return { body: '['.repeat(4000) + ']'.repeat(4000), contentType: 'application/json' };
    if (roll === 4) {
      let nested = '1';
      for (let i = 0; i < 2000; i++) nested = `{"a":${nested}}`;
      return { body: nested, contentType: 'application/json' };
    }
    if (roll === 5) return { body: JSON.stringify({ email: 'a'.repeat(20000) }), contentType: 'application/json' }; // > 16 KiB
    if (roll === 6)
      return { body: `email=${enc(this.str())}&password=${enc(this.str())}&${this.word()}=${this.word()}`, contentType: 'application/x-www-form-urlencoded' };
    if (roll === 7)
      return {
        body: this.word(40),
        contentType: this.pick([
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-7',
          'application/json; charset=latin1',
          'application/octet-stream',
        ]),
      };
    if (roll === 8) return { body: Buffer.from(Array.from({ length: 64 }, () => this.int(256))), contentType: 'application/json' };
    const props = op.body?.properties ?? {};
    if (roll < 12) {
      // a body that passes validation, so the request reaches the service behind it
      const valid: Record<string, unknown> = {};
      for (const [name, schema] of Object.entries(props)) valid[name] = this.plausible(name, schema);
      return { body: JSON.stringify(valid), contentType: 'application/json' };
    }
    // an object shaped by the schema, with wrong types, missing and unknown fields now and then
    const obj: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(props)) if (this.chance(0.8)) obj[name] = this.fitting(schema);
    if (this.chance(0.3)) obj[this.pick(['role', 'is_active', 'email_verified', 'id', this.word()])] = this.value();
    if (this.chance(0.1))
      return { body: `{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(obj).slice(1)}`, contentType: 'application/json' };
    return { body: JSON.stringify(obj), contentType: 'application/json' };
  }

  private query(op: Operation): string {
    const parts: string[] = [];
    for (const q of op.queryParams) {
      if (!this.chance(0.6)) continue;
      const v = this.fitting(q.schema);
      const encoded = enc(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
      const shape = this.int(10);
      if (shape === 0)
        parts.push(`${q.name}=${encoded}&${q.name}=${enc(this.str())}`); // repeated → array
      else if (shape === 1)
        parts.push(`${q.name}[${this.word(3)}]=${encoded}`); // bracket syntax
      else if (shape === 2) parts.push(`${q.name}`);
      else if (shape === 3)
        parts.push(`${q.name}=%E0%A4%A`); // broken percent-encoding
      else parts.push(`${q.name}=${encoded}`);
    }
    if (this.chance(0.2)) parts.push(`${this.word()}=${enc(this.str())}`);
    if (this.chance(0.05)) parts.push(`__proto__[admin]=1&constructor[prototype][x]=1`);
    return parts.length ? `?${parts.join('&')}` : '';
  }

  private pathOf(op: Operation): string {
    return op.path.replace(/\{(\w+)\}/g, () => {
      const roll = this.int(10);
      if (roll < 3) return this.pick(this.known.ids);
      if (roll < 5) return this.uuid();
      if (roll < 6) return this.pick(['google', 'github', 'facebook', 'GOOGLE']);
      if (roll < 7) return this.pick(['%E0%A4%A', '%', '%2e%2e', '..', '%00', '%2F']);
      return enc(this.str()) || 'x';
    });
  }

  private token(): string | undefined {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: this.pick(this.known.ids),
      sid: this.pick(this.known.ids),
      role: 'admin',
      jti: this.word(),
      iat: now,
      exp: now + 600,
      iss: this.known.issuer,
      aud: this.known.audience,
      typ: 'access',
    };
    switch (this.int(16)) {
      case 0:
      case 1:
        return undefined;
      case 2:
      case 3:
      case 4:
      case 12:
      case 13:
        return `Bearer ${this.known.userToken}`;
      case 5:
      case 14:
      case 15:
        return `Bearer ${this.known.adminToken}`;
      case 6:
        return `Bearer ${this.word(40)}`;
      case 7:
        return `Bearer ${signRaw({ ...claims, [this.pick(['sub', 'sid', 'typ', 'iss', 'aud', 'exp', 'role'])]: this.value() }, this.known.jwtSecret)}`;
      case 8:
        return `Bearer ${signRaw(claims, 'some-other-secret-some-other-secret!')}`;
      case 9: {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      }
      case 10:
        return this.pick([
          'Basic YWRtaW46YWRtaW4=',
          'Bearer',
          'Bearer ',
          `Bearer ${this.known.refreshToken}`,
          `bearer ${this.known.userToken}`,
          `Bearer ${'a.'.repeat(2000)}`,
        ]);
      default:
        return `Bearer ${this.known.userToken}.${this.word(3)}`;
    }
  }

  next(ops: Operation[]): FuzzRequest {
    const op = this.pick(ops);
    const headers: Record<string, string> = {};
    const auth = this.token();
    if (auth) headers.Authorization = auth;
    let method = op.method;
    if (this.chance(0.03)) method = this.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
    let body: string | Buffer | undefined;
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && (op.body || this.chance(0.2))) {
      const b = this.body(op);
      body = b.body;
      if (b.contentType && !this.chance(0.05)) headers['Content-Type'] = b.contentType;
      if (this.chance(0.03)) headers['Content-Encoding'] = this.pick(['gzip', 'deflate', 'br', 'x-unknown']);
    }
    for (const h of op.headerParams)
      if (this.chance(0.5)) headers[h] = this.pick(['cookie', 'COOKIE', 'body', this.word(), this.str()]).replace(/[^\t\x20-\x7e]/g, '');
    if (this.chance(0.2)) headers.Cookie = `refresh_token=${this.chance(0.5) ? this.known.refreshToken : this.word(43)}; csrf_token=${this.word(20)}`;
    if (this.chance(0.1)) headers['X-CSRF-Token'] = this.word(20);
    if (this.chance(0.1)) headers['X-Request-Id'] = this.pick([this.word(), 'a'.repeat(300), '../../x', 'id with spaces', randomUUID()]);
    if (this.chance(0.1)) headers['X-Forwarded-For'] = this.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1', '999.999.999.999']);
    if (this.chance(0.05)) headers.Accept = this.pick(['text/html', 'application/xml', '*/*', 'garbage']);
    if (this.chance(0.05)) headers.Origin = this.pick(['http://evil.test', 'null', 'http://app.test']);
    return { method, path: this.pathOf(op) + this.query(op), headers, body };
  }
}

/** Strings no answer may contain: stack frames, module paths, SQL errors, internal addresses. */
export function leaksIn(text: string, internal: string[]): string[] {
  const markers = [
    '    at ',
    'node_modules',
    'syntax error',
    'relation "',
    'violates',
    'QueryFailedError',
    'invalid input syntax',
    'duplicate key',
    'EntityNotFound',
    'TypeError',
    'ReferenceError',
    'postgres://',
    'redis://',
    'ECONNREFUSED',
    '.ts:',
    '.js:',
    ...internal,
  ];
  return markers.filter((m) => text.includes(m));
}
