/** The typed configuration, one namespace per bounded context. Built once by `loadConfig`. */
export type NodeEnv = 'development' | 'production' | 'test';
export type TrustProxy = false | number | string[];

export interface AppConfig {
  app: {
    nodeEnv: NodeEnv;
    port: number;
    version: string;
    logLevel: string;
    /** LOG_FORMAT; `auto`: pretty in development when stdout is a terminal, JSON otherwise */
    logFormat: 'pretty' | 'json' | 'auto';
    /** where application log lines go; the CLI keeps stdout for its own output */
    logTarget: 'stdout' | 'stderr';
    publicUrl: string;
    frontendUrl: string;
    corsOrigins: string[];
    /** request headers a cross-origin call may send (CORS_ALLOWED_HEADERS adds to the defaults) */
    corsAllowedHeaders: string[];
    trustProxy: TrustProxy;
    /** true when DATABASE_URL is absent: PGlite + in-process store + log mail. */
    embedded: boolean;
    /** serve /docs and /docs-json (DOCS_ENABLED; default: on unless production) */
    docsEnabled: boolean;
    /**
     * OTEL_EXPORTER_OTLP_ENDPOINT: set, the process exports OpenTelemetry traces there (the SDK
     * starts in the entry point, before this configuration exists) and log lines carry trace_id
     */
    otlpEndpoint?: string;
  };
  database: {
    url?: string;
    dataDir: string;
    migrationsRun: boolean;
    poolSize: number;
  };
  redis: {
    url?: string;
    keyPrefix: string;
  };
  auth: {
    jwtSecret: string;
    /** JWT_ALGORITHM: ES256 (default) and EdDSA sign with keys kept in PostgreSQL and published as a JWKS; HS256 with JWT_SECRET */
    algorithm: 'ES256' | 'EdDSA' | 'HS256';
    accessTtl: number;
    refreshTtl: number;
    refreshGrace: number;
    issuer: string;
    audience: string;
    requireEmailVerification: boolean;
    lockoutThreshold: number;
    lockoutDuration: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
    passwordPolicy: {
      /** code points, after NFKC */
      minLength: number;
      maxLength: number;
      /** the old composition rule (upper, lower, digit, symbol); off by default (NIST SP 800-63B) */
      requireCharacterClasses: boolean;
      /** zxcvbn-ts score a new password must reach (0–4; 0 disables the estimate) */
      minScore: number;
      /** a Pwned Passwords range API (k-anonymity); unset: no breach check */
      pwnedPasswordsUrl?: string;
    };
    /** `enabled`: processes that serve (API) create it at boot; the operator CLI does not */
    bootstrapAdmin: { enabled: boolean; email?: string; password?: string };
  };
  throttle: {
    ttlMs: number;
    limit: number;
    loginLimit: number;
    registerLimit: number;
    refreshLimit: number;
    emailLimit: number;
  };
  email: {
    resendApiKey?: string;
    resendBaseUrl?: string;
    from: string;
    verificationTtl: number;
    passwordResetTtl: number;
    maxAttempts: number;
    /** run the outbox delivery job inside this API process (the worker always runs it) */
    deliveryInApi: boolean;
    pollIntervalMs: number;
    retryBaseMs: number;
  };
  keys: {
    /** seals signing keys' private halves at rest (KEY_ENCRYPTION_SECRET; embedded mode: generated) */
    encryptionSecret: string;
    rotationDays: number;
    /** Cache-Control max-age of the JWKS, seconds (JWKS_MAX_AGE) */
    jwksMaxAge: number;
    /** SERVICE_CLIENTS: clients allowed to introspect (id and the argon2 or sha256 hash of its secret) */
    serviceClients: { id: string; hash: string }[];
  };
  mfa: {
    /** seconds since the session last proved who its user is, within which a sensitive action is allowed (REAUTH_WINDOW) */
    reauthWindow: number;
    /** roles whose users must enrol a factor before they may call anything but enrolment (MFA_REQUIRED_ROLES) */
    requiredRoles: ('admin' | 'user' | 'guest')[];
    /** the issuer shown by authenticator apps (TOTP_ISSUER) */
    totpIssuer: string;
    /** seals TOTP secrets at rest (KEY_ENCRYPTION_SECRET, else JWT_SECRET): changing it orphans every TOTP enrolment */
    sealingSecret: string;
    webauthn: { rpId: string; rpName: string; origins: string[] };
  };
  webhooks: {
    /** deliver to loopback, private, link-local and plain-http URLs (WEBHOOKS_ALLOW_PRIVATE; development and tests) */
    allowPrivate: boolean;
    /** run the webhook delivery job inside this API process (the worker always runs it) */
    deliveryInApi: boolean;
    pollIntervalMs: number;
    retryBaseMs: number;
    maxAttempts: number;
    /** one delivery attempt (connect, send, answer) may take this long */
    timeoutMs: number;
  };
  health: { token?: string };
  retention: {
    /** audit events older than this many days are purged; unset = kept forever */
    auditDays?: number;
  };
  oauth: {
    google: OAuthProviderConfig & { userInfoUrl: string };
    github: OAuthProviderConfig & { userUrl: string; emailsUrl: string };
  };
}

export interface OAuthProviderConfig {
  clientId?: string;
  clientSecret?: string;
  authorizationUrl: string;
  tokenUrl: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
