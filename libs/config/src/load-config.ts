import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig, NodeEnv, TrustProxy } from './app-config';
import { EnvironmentVariables } from './environment';

/** The placeholder shipped in `.env.example`; refused wherever a JWT_SECRET is checked. */
export const JWT_SECRET_PLACEHOLDER = 'replace-me-with-at-least-32-random-bytes-openssl-rand-base64-48';

const GENERATE_SECRET = 'generate one with `openssl rand -base64 48`';

/** Variables of older versions that are refused with what replaced them, rather than silently ignored. */
const REMOVED_VARIABLES: [string, string][] = [
  ['PASSWORD_REQUIRE_UPPERCASE', 'use PASSWORD_REQUIRE_CHARACTER_CLASSES=true for the character-class rule'],
  ['PASSWORD_REQUIRE_LOWERCASE', 'use PASSWORD_REQUIRE_CHARACTER_CLASSES=true for the character-class rule'],
  ['PASSWORD_REQUIRE_DIGIT', 'use PASSWORD_REQUIRE_CHARACTER_CLASSES=true for the character-class rule'],
  ['PASSWORD_REQUIRE_SYMBOL', 'use PASSWORD_REQUIRE_CHARACTER_CLASSES=true for the character-class rule'],
];

/**
 * Why a secret is too weak to sign tokens with, or null. Catches what people actually paste: the
 * example placeholder or a word, short values, few distinct characters, a repeated pattern, a
 * run of the keyboard or alphabet, and values whose character-frequency entropy is low. A
 * random value from `openssl rand` (base64 or hex) passes.
 */
export function secretWeakness(secret: string): string | null {
  if (Buffer.byteLength(secret) < 32) return 'must be at least 32 bytes';
  if (secret === JWT_SECRET_PLACEHOLDER || /replace-?me|change-?me|secret|password|example/i.test(secret)) {
    return 'is a placeholder or a word, not a random value';
  }
  const chars = [...secret];
  if (new Set(chars).size < 10) return 'has too few distinct characters';
  for (let size = 1; size <= chars.length / 2; size++) {
    if (chars.every((c, i) => c === chars[i % size])) return 'is a repeated pattern';
  }
  let steps = 0;
  for (let i = 1; i < chars.length; i++) if (Math.abs(chars[i].codePointAt(0)! - chars[i - 1].codePointAt(0)!) === 1) steps++;
  if (steps > chars.length / 2) return 'is a run of consecutive characters';
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  const bitsPerChar = [...counts.values()].reduce((h, n) => h - (n / chars.length) * Math.log2(n / chars.length), 0);
  if (bitsPerChar * chars.length < 100) return 'has too little entropy';
  return null;
}

/**
 * A failure to start that explains itself (a bad variable, an unreachable database, a data
 * directory in use): its message says what is wrong and what to do, so it is logged as one line
 * without a stack trace. Anything else that stops a boot is a bug and keeps its stack.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export class ConfigError extends StartupError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Validates the environment and builds the typed configuration. Throws a `ConfigError` whose
 * message is one line naming the offending variable.
 */
export function loadConfig(rawEnv: Env = process.env): AppConfig {
  const env = plainToInstance(EnvironmentVariables, pick(rawEnv), { enableImplicitConversion: false });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(`Invalid configuration: ${describe(errors[0])}`);

  const nodeEnv = (env.NODE_ENV ?? 'development') as NodeEnv;
  const production = nodeEnv === 'production';
  const dataDir = resolve(env.DATA_DIR ?? './.data');
  const embedded = !env.DATABASE_URL;

  const removed = REMOVED_VARIABLES.find(([name]) => rawEnv[name] !== undefined);
  if (removed) fail(`${removed[0]} was removed: ${removed[1]}`);
  if (production) {
    if (!env.DATABASE_URL) fail('DATABASE_URL is required in production (embedded PostgreSQL is for development only)');
    if (!env.REDIS_URL) fail('REDIS_URL is required in production (the in-process store is for development only)');
  }
  // the embedded mode generates its own secret when none is given; with a real database every
  // node must share one, and a guessable one lets anybody mint admin tokens
  if (!embedded && !env.JWT_SECRET) fail(`JWT_SECRET is required when DATABASE_URL is set; ${GENERATE_SECRET}`);
  if (env.JWT_SECRET) {
    const weakness = secretWeakness(env.JWT_SECRET);
    if (weakness) fail(`JWT_SECRET ${weakness}; ${GENERATE_SECRET}`);
  }
  if (!embedded && (env.JWT_ALGORITHM ?? 'ES256') !== 'HS256' && !env.KEY_ENCRYPTION_SECRET)
    fail(
      `KEY_ENCRYPTION_SECRET is required with JWT_ALGORITHM=${env.JWT_ALGORITHM ?? 'ES256'} when DATABASE_URL is set (it seals the signing keys); ${GENERATE_SECRET}, or set JWT_ALGORITHM=HS256 to keep signing with JWT_SECRET`,
    );
  if (env.KEY_ENCRYPTION_SECRET) {
    const weakness = secretWeakness(env.KEY_ENCRYPTION_SECRET);
    if (weakness) fail(`KEY_ENCRYPTION_SECRET ${weakness}; ${GENERATE_SECRET}`);
  }
  if (!embedded && !env.REDIS_URL && nodeEnv !== 'test')
    fail('REDIS_URL is required when DATABASE_URL is set (the in-process store only serves the embedded mode)');
  if (Boolean(env.BOOTSTRAP_ADMIN_EMAIL) !== Boolean(env.BOOTSTRAP_ADMIN_PASSWORD))
    fail('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together');

  const port = env.PORT ?? 3000;
  const publicUrl = stripSlash(env.PUBLIC_URL ?? `http://localhost:${port}`);
  const frontendUrl = stripSlash(env.FRONTEND_URL ?? 'http://localhost:5173');
  const passwordMin = env.PASSWORD_MIN_LENGTH ?? 8;
  const passwordMax = env.PASSWORD_MAX_LENGTH ?? 128;
  if (passwordMax < passwordMin) fail(`PASSWORD_MAX_LENGTH must not be less than PASSWORD_MIN_LENGTH (got ${passwordMax} < ${passwordMin})`);

  return {
    app: {
      nodeEnv,
      port,
      version: readVersion(),
      logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
      logFormat: env.LOG_FORMAT ?? 'auto',
      logTarget: 'stdout',
      publicUrl,
      frontendUrl,
      // development: the web app's own origin unless CORS_ORIGINS says otherwise
      corsOrigins: !env.CORS_ORIGINS?.trim() && nodeEnv === 'development' ? [new URL(frontendUrl).origin] : parseOrigins(env.CORS_ORIGINS),
      corsAllowedHeaders: [
        ...DEFAULT_CORS_HEADERS,
        ...parseHeaderNames(env.CORS_ALLOWED_HEADERS).filter((h) => !DEFAULT_CORS_HEADERS.some((d) => d.toLowerCase() === h.toLowerCase())),
      ],
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      embedded,
      docsEnabled: env.DOCS_ENABLED ?? !production,
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    database: {
      url: env.DATABASE_URL,
      dataDir,
      migrationsRun: env.DB_MIGRATIONS_RUN ?? true,
      poolSize: env.DB_POOL_SIZE ?? 10,
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX ?? 'idp:' },
    auth: {
      jwtSecret: env.JWT_SECRET ?? devSecret(dataDir),
      algorithm: env.JWT_ALGORITHM ?? 'ES256',
      accessTtl: env.JWT_ACCESS_TTL ?? 1800,
      refreshTtl: env.JWT_REFRESH_TTL ?? 7 * 24 * 3600,
      refreshGrace: env.JWT_REFRESH_GRACE ?? 10,
      issuer: env.JWT_ISSUER ?? publicUrl,
      audience: env.JWT_AUDIENCE ?? 'identity-api',
      requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION ?? false,
      lockoutThreshold: env.LOCKOUT_THRESHOLD ?? 5,
      lockoutDuration: env.LOCKOUT_DURATION ?? 1800,
      argon2: {
        memoryCost: env.ARGON2_MEMORY_KIB ?? 19456,
        timeCost: env.ARGON2_TIME_COST ?? 2,
        parallelism: env.ARGON2_PARALLELISM ?? 1,
      },
      passwordPolicy: {
        minLength: passwordMin,
        maxLength: passwordMax,
        requireCharacterClasses: env.PASSWORD_REQUIRE_CHARACTER_CLASSES ?? false,
        minScore: env.PASSWORD_MIN_SCORE ?? 3,
        pwnedPasswordsUrl: env.PWNED_PASSWORDS_URL ? stripSlash(env.PWNED_PASSWORDS_URL) : undefined,
      },
      bootstrapAdmin: { enabled: true, email: env.BOOTSTRAP_ADMIN_EMAIL, password: env.BOOTSTRAP_ADMIN_PASSWORD },
    },
    throttle: {
      ttlMs: (env.THROTTLE_TTL ?? 60) * 1000,
      limit: env.THROTTLE_LIMIT ?? 300,
      loginLimit: env.THROTTLE_LOGIN_LIMIT ?? 30,
      registerLimit: env.THROTTLE_REGISTER_LIMIT ?? 30,
      refreshLimit: env.THROTTLE_REFRESH_LIMIT ?? 120,
      emailLimit: env.THROTTLE_EMAIL_LIMIT ?? 10,
    },
    email: {
      resendApiKey: env.RESEND_API_KEY,
      resendBaseUrl: env.RESEND_BASE_URL ? stripSlash(env.RESEND_BASE_URL) : undefined,
      from: env.EMAIL_FROM ?? 'Identity <no-reply@localhost>',
      verificationTtl: env.EMAIL_VERIFICATION_TTL ?? 24 * 3600,
      passwordResetTtl: env.PASSWORD_RESET_TTL ?? 3600,
      maxAttempts: env.EMAIL_MAX_ATTEMPTS ?? 8,
      deliveryInApi: env.EMAIL_DELIVERY_IN_API ?? true,
      pollIntervalMs: env.EMAIL_POLL_INTERVAL_MS ?? 1000,
      retryBaseMs: env.EMAIL_RETRY_BASE_MS ?? 5000,
    },
    keys: {
      encryptionSecret: env.KEY_ENCRYPTION_SECRET ?? env.JWT_SECRET ?? devSecret(dataDir),
      rotationDays: env.SIGNING_KEY_ROTATION_DAYS ?? 30,
      jwksMaxAge: env.JWKS_MAX_AGE ?? 300,
      serviceClients: parseServiceClients(env.SERVICE_CLIENTS),
    },
    mfa: {
      reauthWindow: env.REAUTH_WINDOW ?? 600,
      requiredRoles: parseRoles(env.MFA_REQUIRED_ROLES),
      totpIssuer: env.TOTP_ISSUER ?? 'Identity',
      sealingSecret: env.KEY_ENCRYPTION_SECRET ?? env.JWT_SECRET ?? devSecret(dataDir),
      webauthn: {
        rpId: env.WEBAUTHN_RP_ID ?? new URL(frontendUrl).hostname,
        rpName: env.WEBAUTHN_RP_NAME ?? 'Identity',
        origins: env.WEBAUTHN_ORIGINS?.trim() ? parseOrigins(env.WEBAUTHN_ORIGINS, 'WEBAUTHN_ORIGINS') : [new URL(frontendUrl).origin],
      },
    },
    webhooks: {
      allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE ?? false,
      deliveryInApi: env.WEBHOOKS_DELIVERY_IN_API ?? true,
      pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS ?? 1000,
      retryBaseMs: env.WEBHOOKS_RETRY_BASE_MS ?? 5000,
      maxAttempts: env.WEBHOOKS_MAX_ATTEMPTS ?? 20,
      timeoutMs: env.WEBHOOKS_TIMEOUT_MS ?? 10_000,
    },
    health: { token: env.HEALTH_TOKEN },
    retention: { auditDays: env.AUDIT_RETENTION_DAYS },
    oauth: {
      google: {
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
        authorizationUrl: env.GOOGLE_AUTHORIZATION_URL ?? 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: env.GOOGLE_TOKEN_URL ?? 'https://oauth2.googleapis.com/token',
        userInfoUrl: env.GOOGLE_USERINFO_URL ?? 'https://openidconnect.googleapis.com/v1/userinfo',
      },
      github: {
        clientId: env.GITHUB_CLIENT_ID,
        clientSecret: env.GITHUB_CLIENT_SECRET,
        authorizationUrl: env.GITHUB_AUTHORIZATION_URL ?? 'https://github.com/login/oauth/authorize',
        tokenUrl: env.GITHUB_TOKEN_URL ?? 'https://github.com/login/oauth/access_token',
        userUrl: env.GITHUB_USER_URL ?? 'https://api.github.com/user',
        emailsUrl: env.GITHUB_EMAILS_URL ?? 'https://api.github.com/user/emails',
      },
    },
  };
}

/** `SERVICE_CLIENTS`: `id:hash,id:hash`, the hash an argon2id PHC string or 64 hex digits (SHA-256 of the secret). */
export function parseServiceClients(value: string | undefined): { id: string; hash: string }[] {
  const out: { id: string; hash: string }[] = [];
  // an argon2 string has commas of its own (m=19456,t=2,p=1): entries start where `id:` does
  for (const entry of (value ?? '')
    .split(/,(?=\s*[A-Za-z0-9._-]{1,64}:)/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const hash = at > 0 ? entry.slice(at + 1) : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id) || !(/^[0-9a-f]{64}$/i.test(hash) || hash.startsWith('$argon2')))
      fail('SERVICE_CLIENTS must be a comma list of id:hash, the hash an argon2id string or the SHA-256 hex of the secret');
    if (out.some((c) => c.id === id)) fail(`SERVICE_CLIENTS lists the client "${id}" twice`);
    out.push({ id, hash: hash.toLowerCase().startsWith('$argon2') ? hash : hash.toLowerCase() });
  }
  return out;
}

/** `MFA_REQUIRED_ROLES`: a comma list of roles (admin, user, guest); empty: nobody must enrol. */
export function parseRoles(value: string | undefined): ('admin' | 'user' | 'guest')[] {
  const roles = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const known = ['admin', 'user', 'guest'] as const;
  const bad = roles.find((r) => !(known as readonly string[]).includes(r));
  if (bad) fail(`MFA_REQUIRED_ROLES must be a comma list of admin, user, guest (got "${bad}")`);
  return [...new Set(roles)] as ('admin' | 'user' | 'guest')[];
}

/** `TRUST_PROXY`: `false` (default), a hop count, or a comma list of addresses/CIDRs/Express names. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim();
  if (v === '' || v.toLowerCase() === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (v.toLowerCase() === 'true') fail('TRUST_PROXY=true would let any client choose its own address; give a hop count or the proxy addresses');
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ok = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/;
  const bad = list.find((entry) => !ok.test(entry));
  if (bad) fail(`TRUST_PROXY has an entry that is neither an address, a CIDR nor a hop count: "${bad}"`);
  return list;
}

/** Request headers every allowed origin may send; CORS_ALLOWED_HEADERS adds to them (W3C trace context and baggage included). */
const DEFAULT_CORS_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Auth-Mode', 'X-CSRF-Token', 'traceparent', 'tracestate', 'baggage'];

function parseHeaderNames(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((h) => !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h));
  if (bad) fail(`CORS_ALLOWED_HEADERS has an entry that is not a header name: "${bad}"`);
  return list;
}

function parseOrigins(value: string | undefined, name = 'CORS_ORIGINS'): string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => stripSlash(s.trim()))
    .filter(Boolean);
  const bad = list.find((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  if (bad) fail(`${name} has an entry that is not an origin (scheme://host[:port]): "${bad}"`);
  return list;
}

/** Outside production a missing JWT_SECRET is generated once and kept in DATA_DIR. */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The installation's root: the folder of this product's package.json, found from this file upwards
 * (the sources in development and tests; dist/… in a build or the Docker image). Undefined when
 * there is none (a bundled or moved copy).
 */
export function packageRoot(from: string = __dirname): string | undefined {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'identity-backend') return dir;
    dir = dirname(dir);
  }
  return undefined;
}

function readVersion(): string {
  const root = packageRoot();
  if (!root) return process.env.npm_package_version ?? '0.0.0';
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
}

function pick(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function describe(error: ValidationError): string {
  const message = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
  return message.startsWith(error.property) ? message : `${error.property} ${message}`;
}

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

function fail(message: string): never {
  throw new ConfigError(`Invalid configuration: ${message}`);
}
