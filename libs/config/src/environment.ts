import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min, MinLength, type ValidationArguments } from 'class-validator';

const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value);
const emptyToUndefined = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const dbUrl = { require_tld: false, require_protocol: true, protocols: ['postgres', 'postgresql'] };
const redisUrl = { require_tld: false, require_protocol: true, protocols: ['redis', 'rediss'] };

/*
 * One rule per kind of value, each with one message that says what is expected, whatever check
 * failed first: `PORT=abc` and `PORT=70000` both read "PORT must be an integer 1–65535 (got …)".
 * Only values of these closed kinds are echoed back; URLs and strings may hold secrets.
 */
type Rule = PropertyDecorator;
const all =
  (...rules: Rule[]): Rule =>
  (target, key) => {
    for (const rule of rules) rule(target, key);
  };
const got = (value: unknown) => {
  const text = String(value);
  return value === undefined || value === null ? '' : ` (got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`;
};
const said = (expected: string, echo = false) => ({
  message: (args: ValidationArguments) => `${args.property} must be ${expected}${echo ? got(args.value) : ''}`,
});

/** An integer in [min, max] (the unit, when given, is named after the range). */
const Int = (min: number, max: number, unit?: string): Rule => {
  const m = said(`an integer ${min}–${max}${unit ? `, in ${unit}` : ''}`, true);
  return all(IsOptional(), Transform(toInt), IsInt(m), Min(min, m), Max(max, m));
};
const Bool = (): Rule => all(IsOptional(), Transform(toBool), IsBoolean(said('one of true, false, 1, 0, yes, no, on, off', true)));
const OneOf = (values: string[]): Rule => all(IsOptional(), IsIn(values, said(`one of ${values.join(', ')}`, true)));
const Url = (options: typeof url, optionalWhenEmpty = false): Rule =>
  all(
    IsOptional(),
    ...(optionalWhenEmpty ? [Transform(emptyToUndefined)] : []),
    IsUrl(options, said(`a URL starting with ${options.protocols.map((p) => `${p}://`).join(' or ')}`)),
  );
const Text = (length: { min?: number; max?: number } = {}, optionalWhenEmpty = false): Rule => {
  const { min, max } = length;
  const m = said(
    min && max
      ? `${min}–${max} characters long`
      : min && min > 1
        ? `at least ${min} characters`
        : min
          ? 'a non-empty string'
          : max
            ? `at most ${max} characters`
            : 'a string',
  );
  return all(
    IsOptional(),
    ...(optionalWhenEmpty ? [Transform(emptyToUndefined)] : []),
    IsString(m),
    ...(min ? [MinLength(min, m)] : []),
    ...(max ? [MaxLength(max, m)] : []),
  );
};
const Email = (): Rule => all(IsOptional(), Transform(emptyToUndefined), IsEmail({}, said('an email address (name@domain.tld)')));

/**
 * Every environment variable the product reads, with its rule. `.env.example` documents the same
 * list; `load-config.ts` turns a validated instance into the typed namespaces the libs inject.
 */
export class EnvironmentVariables {
  @OneOf(['development', 'production', 'test']) NODE_ENV?: string;
  @Int(1, 65535) PORT?: number;
  @OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @OneOf(['pretty', 'json']) LOG_FORMAT?: 'pretty' | 'json';

  @Url(dbUrl, true) DATABASE_URL?: string;
  @Text({}, true) DATA_DIR?: string;
  @Bool() DB_MIGRATIONS_RUN?: boolean;
  @Int(1, 200) DB_POOL_SIZE?: number;

  @Url(redisUrl, true) REDIS_URL?: string;
  @Text({ max: 64 }) REDIS_KEY_PREFIX?: string;

  @Text({}, true) JWT_SECRET?: string;
  @Int(1, 86400, 'seconds') JWT_ACCESS_TTL?: number;
  @Int(60, 31536000, 'seconds') JWT_REFRESH_TTL?: number;
  @Int(0, 300, 'seconds') JWT_REFRESH_GRACE?: number;
  @Text({ min: 1 }) JWT_ISSUER?: string;
  @Text({ min: 1 }) JWT_AUDIENCE?: string;

  // v1.2: second factors, passkeys, step-up
  @Int(30, 86400, 'seconds') REAUTH_WINDOW?: number;
  @Text() MFA_REQUIRED_ROLES?: string;
  @Text({ min: 1, max: 100 }) TOTP_ISSUER?: string;
  @Text({ min: 1, max: 253 }) WEBAUTHN_RP_ID?: string;
  @Text({ min: 1, max: 100 }) WEBAUTHN_RP_NAME?: string;
  @Text() WEBAUTHN_ORIGINS?: string;
  @Text({}, true) KEY_ENCRYPTION_SECRET?: string;

  // v1.2: tokens for other services
  @OneOf(['ES256', 'EdDSA', 'HS256']) JWT_ALGORITHM?: 'ES256' | 'EdDSA' | 'HS256';
  @Int(1, 3650, 'days') SIGNING_KEY_ROTATION_DAYS?: number;
  @Int(0, 86400, 'seconds') JWKS_MAX_AGE?: number;
  @Text() SERVICE_CLIENTS?: string;

  @Url(url) FRONTEND_URL?: string;
  @Url(url) PUBLIC_URL?: string;
  @Text() CORS_ORIGINS?: string;
  @Text() CORS_ALLOWED_HEADERS?: string;
  @Text() TRUST_PROXY?: string;
  @Bool() DOCS_ENABLED?: boolean;

  // OpenTelemetry traces (on when the endpoint is set); the SDK reads the other OTEL_* variables itself
  @Url(url, true) OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  @Text({ min: 1, max: 255 }, true) OTEL_SERVICE_NAME?: string;
  // OTLP over HTTP only: a gRPC collector port would take the requests and answer nothing useful
  @OneOf(['http/protobuf', 'http/json']) OTEL_EXPORTER_OTLP_PROTOCOL?: string;
  @OneOf(['http/protobuf', 'http/json']) OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;

  @Bool() REQUIRE_EMAIL_VERIFICATION?: boolean;
  @Int(1, 1000) LOCKOUT_THRESHOLD?: number;
  @Int(1, 604800, 'seconds') LOCKOUT_DURATION?: number;

  @Int(1, 1000000, 'seconds') THROTTLE_TTL?: number;
  @Int(1, 1000000) THROTTLE_LIMIT?: number;
  @Int(1, 1000000) THROTTLE_LOGIN_LIMIT?: number;
  @Int(1, 1000000) THROTTLE_REGISTER_LIMIT?: number;
  @Int(1, 1000000) THROTTLE_REFRESH_LIMIT?: number;
  @Int(1, 1000000) THROTTLE_EMAIL_LIMIT?: number;

  @Int(8, 128) PASSWORD_MIN_LENGTH?: number;
  @Int(8, 1024) PASSWORD_MAX_LENGTH?: number;
  @Bool() PASSWORD_REQUIRE_CHARACTER_CLASSES?: boolean;
  @Int(0, 4) PASSWORD_MIN_SCORE?: number;
  @Url(url, true) PWNED_PASSWORDS_URL?: string;

  @Int(1024, 4194304, 'KiB') ARGON2_MEMORY_KIB?: number;
  @Int(1, 20) ARGON2_TIME_COST?: number;
  @Int(1, 16) ARGON2_PARALLELISM?: number;

  @Text({}, true) RESEND_API_KEY?: string;
  @Url(url, true) RESEND_BASE_URL?: string;
  @Text({ min: 3 }) EMAIL_FROM?: string;
  @Int(60, 2592000, 'seconds') EMAIL_VERIFICATION_TTL?: number;
  @Int(60, 86400, 'seconds') PASSWORD_RESET_TTL?: number;
  @Int(1, 100) EMAIL_MAX_ATTEMPTS?: number;
  @Bool() EMAIL_DELIVERY_IN_API?: boolean;
  @Int(10, 60000, 'milliseconds') EMAIL_POLL_INTERVAL_MS?: number;
  @Int(10, 3600000, 'milliseconds') EMAIL_RETRY_BASE_MS?: number;

  // v1.2: webhooks
  @Bool() WEBHOOKS_ALLOW_PRIVATE?: boolean;
  @Bool() WEBHOOKS_DELIVERY_IN_API?: boolean;
  @Int(10, 60000, 'milliseconds') WEBHOOKS_POLL_INTERVAL_MS?: number;
  @Int(10, 3600000, 'milliseconds') WEBHOOKS_RETRY_BASE_MS?: number;
  @Int(1, 100) WEBHOOKS_MAX_ATTEMPTS?: number;
  @Int(100, 30000, 'milliseconds') WEBHOOKS_TIMEOUT_MS?: number;

  @Text({ min: 16 }, true) HEALTH_TOKEN?: string;
  @Transform(emptyToUndefined) @Int(1, 36500, 'days') AUDIT_RETENTION_DAYS?: number;

  @Email() BOOTSTRAP_ADMIN_EMAIL?: string;
  @Text({}, true) BOOTSTRAP_ADMIN_PASSWORD?: string;

  @Text({}, true) GOOGLE_CLIENT_ID?: string;
  @Text({}, true) GOOGLE_CLIENT_SECRET?: string;
  @Url(url) GOOGLE_AUTHORIZATION_URL?: string;
  @Url(url) GOOGLE_TOKEN_URL?: string;
  @Url(url) GOOGLE_USERINFO_URL?: string;
  @Text({}, true) GITHUB_CLIENT_ID?: string;
  @Text({}, true) GITHUB_CLIENT_SECRET?: string;
  @Url(url) GITHUB_AUTHORIZATION_URL?: string;
  @Url(url) GITHUB_TOKEN_URL?: string;
  @Url(url) GITHUB_USER_URL?: string;
  @Url(url) GITHUB_EMAILS_URL?: string;
}
