import { randomBytes } from 'node:crypto';
import { ConfigError, JWT_SECRET_PLACEHOLDER, loadConfig } from './load-config';

const KEY_ENCRYPTION_SECRET = randomBytes(48).toString('base64');
const DB = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379/0', KEY_ENCRYPTION_SECRET };

describe('JWT_SECRET strength', () => {
  it.each([
    ['unset', {}],
    ['production', { NODE_ENV: 'production' }],
    ['test', { NODE_ENV: 'test' }],
  ])('is required with DATABASE_URL (NODE_ENV %s)', (_, env) => {
    expect(() => loadConfig({ ...DB, ...env })).toThrow(/JWT_SECRET.*openssl rand -base64 48/);
  });

  it.each([
    ['the .env.example placeholder', JWT_SECRET_PLACEHOLDER],
    ['fewer than 32 bytes', 'Zq3$k9!vX2#mB7pL'],
    ['one repeated character', 'a'.repeat(32)],
    ['few distinct characters', 'abababababababababababababababab'],
    ['a repeated pattern', 'k3Xp9Qw2'.repeat(4)],
    ['a run of the alphabet', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['a word with padding', 'secretsecretsecretsecretsecret12'],
  ])('refuses %s in every mode that uses DATABASE_URL', (_, secret) => {
    for (const NODE_ENV of [undefined, 'development', 'test', 'production']) {
      const env = { ...DB, JWT_SECRET: secret, ...(NODE_ENV ? { NODE_ENV } : {}) };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/openssl rand -base64 48/);
    }
  });

  it.each([
    ['base64 of 48 random bytes', () => randomBytes(48).toString('base64')],
    ['hex of 32 random bytes', () => randomBytes(32).toString('hex')],
    ['base64url of 32 random bytes', () => randomBytes(32).toString('base64url')],
  ])('accepts %s', (_, make) => {
    for (let i = 0; i < 20; i++) expect(loadConfig({ ...DB, JWT_SECRET: make() }).auth.jwtSecret).toHaveLength(make().length);
  });

  it('embedded mode (no DATABASE_URL) generates its own', () => {
    const dir = `/tmp/cfg-${randomBytes(4).toString('hex')}`;
    expect(loadConfig({ DATA_DIR: dir }).auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });
});

describe('password policy configuration', () => {
  const secret = randomBytes(48).toString('base64');
  it('defaults to NIST SP 800-63B: 8–128, no character classes, minimum score 3', () => {
    const c = loadConfig({ ...DB, JWT_SECRET: secret });
    expect(c.auth.passwordPolicy).toMatchObject({ minLength: 8, maxLength: 128, requireCharacterClasses: false, minScore: 3 });
  });

  it('names the replacement of a removed variable', () => {
    expect(() => loadConfig({ ...DB, JWT_SECRET: secret, PASSWORD_REQUIRE_UPPERCASE: 'true' })).toThrow(/PASSWORD_REQUIRE_CHARACTER_CLASSES/);
  });
});

describe('CORS configuration', () => {
  const env = { ...DB, JWT_SECRET: randomBytes(48).toString('base64'), FRONTEND_URL: 'http://localhost:5173/app/' };
  it("in development CORS_ORIGINS defaults to FRONTEND_URL's origin; elsewhere to none", () => {
    expect(loadConfig({ ...env }).app.corsOrigins).toEqual(['http://localhost:5173']);
    expect(loadConfig({ ...env, CORS_ORIGINS: '' }).app.corsOrigins).toEqual(['http://localhost:5173']);
    expect(loadConfig({ ...env, NODE_ENV: 'test' }).app.corsOrigins).toEqual([]);
    expect(loadConfig({ ...env, CORS_ORIGINS: 'https://app.example' }).app.corsOrigins).toEqual(['https://app.example']);
  });

  it('CORS_ALLOWED_HEADERS adds to the defaults (trace context included) and refuses what is not a header name', () => {
    const defaults = loadConfig({ ...env }).app.corsAllowedHeaders;
    expect(defaults).toEqual(expect.arrayContaining(['Authorization', 'X-CSRF-Token', 'traceparent', 'tracestate', 'baggage']));
    const extended = loadConfig({ ...env, CORS_ALLOWED_HEADERS: 'X-Tenant-Id, traceparent' }).app.corsAllowedHeaders;
    expect(extended).toEqual([...defaults, 'X-Tenant-Id']);
    expect(() => loadConfig({ ...env, CORS_ALLOWED_HEADERS: 'X Tenant' })).toThrow(/CORS_ALLOWED_HEADERS/);
  });
});

describe('configuration errors', () => {
  const dir = `/tmp/cfg-${randomBytes(4).toString('hex')}`;
  const messageOf = (env: Record<string, string>) => {
    try {
      loadConfig({ DATA_DIR: dir, ...env });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(env)}`);
  };

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer 1–65535 (got "abc")'],
    [{ PORT: '0' }, 'PORT must be an integer 1–65535 (got "0")'],
    [{ PORT: '65536' }, 'PORT must be an integer 1–65535 (got "65536")'],
    [{ PORT: '3000.5' }, 'PORT must be an integer 1–65535 (got "3000.5")'],
    [{ JWT_ACCESS_TTL: 'soon' }, 'JWT_ACCESS_TTL must be an integer 1–86400, in seconds (got "soon")'],
    [{ NODE_ENV: 'prod' }, 'NODE_ENV must be one of development, production, test (got "prod")'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be one of pretty, json (got "xml")'],
    [{ DOCS_ENABLED: 'maybe' }, 'DOCS_ENABLED must be one of true, false, 1, 0, yes, no, on, off (got "maybe")'],
    [{ DATABASE_URL: 'mysql://u:p@db/x' }, 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL must be a URL starting with redis:// or rediss://'],
    [{ PUBLIC_URL: 'api.example.com' }, 'PUBLIC_URL must be a URL starting with http:// or https://'],
    [{ REDIS_KEY_PREFIX: 'p'.repeat(65) }, 'REDIS_KEY_PREFIX must be at most 64 characters'],
    [{ HEALTH_TOKEN: 'short' }, 'HEALTH_TOKEN must be at least 16 characters'],
    [{ BOOTSTRAP_ADMIN_EMAIL: 'admin@localhost', BOOTSTRAP_ADMIN_PASSWORD: 'x' }, 'BOOTSTRAP_ADMIN_EMAIL must be an email address (name@domain.tld)'],
    [{ PASSWORD_MIN_LENGTH: '20', PASSWORD_MAX_LENGTH: '12' }, 'PASSWORD_MAX_LENGTH must not be less than PASSWORD_MIN_LENGTH (got 12 < 20)'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be a URL starting with http:// or https://'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json (got "grpc")'],
    [{ WEBHOOKS_ALLOW_PRIVATE: 'sometimes' }, 'WEBHOOKS_ALLOW_PRIVATE must be one of true, false, 1, 0, yes, no, on, off (got "sometimes")'],
    [{ WEBHOOKS_TIMEOUT_MS: '60000' }, 'WEBHOOKS_TIMEOUT_MS must be an integer 100–30000, in milliseconds (got "60000")'],
    [{ WEBHOOKS_MAX_ATTEMPTS: '0' }, 'WEBHOOKS_MAX_ATTEMPTS must be an integer 1–100 (got "0")'],
  ])('%j: "%s"', (env, expected) => {
    expect(messageOf(env)).toBe(`Invalid configuration: ${expected}`);
  });

  it('never echoes the value of a URL or a secret', () => {
    expect(messageOf({ DATABASE_URL: 'postgres//bob:hunter2@db/x' })).not.toContain('hunter2');
    expect(messageOf({ DATABASE_URL: 'postgres://127.0.0.1', JWT_SECRET: 'hunter2' })).not.toContain('hunter2');
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT: unset or empty, tracing is off', () => {
    expect(loadConfig({ DATA_DIR: dir }).app.otlpEndpoint).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: '' }).app.otlpEndpoint).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).app.otlpEndpoint).toBe('http://otel-collector:4318');
  });

  it('webhooks: https to public addresses only, delivered in the API, 20 attempts, unless told otherwise', () => {
    expect(loadConfig({ DATA_DIR: dir }).webhooks).toEqual({
      allowPrivate: false,
      deliveryInApi: true,
      pollIntervalMs: 1000,
      retryBaseMs: 5000,
      maxAttempts: 20,
      timeoutMs: 10_000,
    });
    const set = { WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_DELIVERY_IN_API: 'off', WEBHOOKS_MAX_ATTEMPTS: '3', WEBHOOKS_TIMEOUT_MS: '30000' };
    expect(loadConfig({ DATA_DIR: dir, ...set }).webhooks).toMatchObject({ allowPrivate: true, deliveryInApi: false, maxAttempts: 3, timeoutMs: 30_000 });
  });

  it('accepts the bounds and empty optional values', () => {
    expect(loadConfig({ DATA_DIR: dir, PORT: '1' }).app.port).toBe(1);
    expect(loadConfig({ DATA_DIR: dir, PORT: '65535', AUDIT_RETENTION_DAYS: '' }).retention.auditDays).toBeUndefined();
  });
});

describe('signing keys and service clients (v1.2)', () => {
  const secret = randomBytes(48).toString('base64');
  const { KEY_ENCRYPTION_SECRET: _omitted, ...noKeySecret } = DB;

  it('ES256 is the default; with DATABASE_URL it needs KEY_ENCRYPTION_SECRET, HS256 does not', () => {
    expect(loadConfig({ ...DB, JWT_SECRET: secret }).auth.algorithm).toBe('ES256');
    expect(() => loadConfig({ ...noKeySecret, JWT_SECRET: secret })).toThrow(/KEY_ENCRYPTION_SECRET is required with JWT_ALGORITHM=ES256/);
    expect(() => loadConfig({ ...noKeySecret, JWT_SECRET: secret, JWT_ALGORITHM: 'EdDSA' })).toThrow(
      /KEY_ENCRYPTION_SECRET is required with JWT_ALGORITHM=EdDSA/,
    );
    expect(loadConfig({ ...noKeySecret, JWT_SECRET: secret, JWT_ALGORITHM: 'HS256' }).auth.algorithm).toBe('HS256');
    expect(() => loadConfig({ ...DB, JWT_SECRET: secret, JWT_ALGORITHM: 'RS256' })).toThrow(/JWT_ALGORITHM/);
    expect(() => loadConfig({ ...DB, JWT_SECRET: secret, KEY_ENCRYPTION_SECRET: 'changeme-changeme-changeme-changeme' })).toThrow(/KEY_ENCRYPTION_SECRET/);
  });

  it('SERVICE_CLIENTS is a list of id:hash (SHA-256 hex or argon2id)', () => {
    const hex = 'a'.repeat(64);
    const clients = loadConfig({ ...DB, JWT_SECRET: secret, SERVICE_CLIENTS: `orders:${hex}, billing:$argon2id$v=19$m=19456,t=2,p=1$abc$def` }).keys
      .serviceClients;
    expect(clients).toEqual([
      { id: 'orders', hash: hex },
      { id: 'billing', hash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' },
    ]);
    expect(() => loadConfig({ ...DB, JWT_SECRET: secret, SERVICE_CLIENTS: 'orders:plaintext-secret' })).toThrow(/SERVICE_CLIENTS/);
    expect(() => loadConfig({ ...DB, JWT_SECRET: secret, SERVICE_CLIENTS: `a:${hex},a:${hex}` })).toThrow(/twice/);
  });
});
