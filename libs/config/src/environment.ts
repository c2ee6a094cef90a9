import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min, MinLength } from 'class-validator';

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

/**
 * Every environment variable the product reads, with its rule. `.env.example` documents the same
 * list; `load-config.ts` turns a validated instance into the typed namespaces the libs inject.
 */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsUrl(dbUrl) DATABASE_URL?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() DATA_DIR?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() DB_MIGRATIONS_RUN?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsUrl(redisUrl) REDIS_URL?: string;
  @IsOptional() @IsString() @MaxLength(64) REDIS_KEY_PREFIX?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() JWT_SECRET?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86400) JWT_ACCESS_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(31536000) JWT_REFRESH_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(300) JWT_REFRESH_GRACE?: number;
  @IsOptional() @IsString() @MinLength(1) JWT_ISSUER?: string;
  @IsOptional() @IsString() @MinLength(1) JWT_AUDIENCE?: string;

  // v1.2: second factors, passkeys, step-up
  @IsOptional() @Transform(toInt) @IsInt() @Min(30) @Max(86400) REAUTH_WINDOW?: number;
  @IsOptional() @IsString() MFA_REQUIRED_ROLES?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100) TOTP_ISSUER?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(253) WEBAUTHN_RP_ID?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100) WEBAUTHN_RP_NAME?: string;
  @IsOptional() @IsString() WEBAUTHN_ORIGINS?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() KEY_ENCRYPTION_SECRET?: string;

  @IsOptional() @IsUrl(url) FRONTEND_URL?: string;
  @IsOptional() @IsUrl(url) PUBLIC_URL?: string;
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsString() CORS_ALLOWED_HEADERS?: string;
  @IsOptional() @IsString() TRUST_PROXY?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() DOCS_ENABLED?: boolean;

  @IsOptional() @Transform(toBool) @IsBoolean() REQUIRE_EMAIL_VERIFICATION?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) LOCKOUT_THRESHOLD?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(604800) LOCKOUT_DURATION?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_LIMIT?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_LOGIN_LIMIT?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_REGISTER_LIMIT?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_REFRESH_LIMIT?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000000) THROTTLE_EMAIL_LIMIT?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(8) @Max(128) PASSWORD_MIN_LENGTH?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(8) @Max(1024) PASSWORD_MAX_LENGTH?: number;
  @IsOptional() @Transform(toBool) @IsBoolean() PASSWORD_REQUIRE_CHARACTER_CLASSES?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(4) PASSWORD_MIN_SCORE?: number;
  @IsOptional() @Transform(emptyToUndefined) @IsUrl(url) PWNED_PASSWORDS_URL?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(4194304) ARGON2_MEMORY_KIB?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(20) ARGON2_TIME_COST?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(16) ARGON2_PARALLELISM?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString() RESEND_API_KEY?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsUrl(url) RESEND_BASE_URL?: string;
  @IsOptional() @IsString() @MinLength(3) EMAIL_FROM?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(2592000) EMAIL_VERIFICATION_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(86400) PASSWORD_RESET_TTL?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) EMAIL_MAX_ATTEMPTS?: number;
  @IsOptional() @Transform(toBool) @IsBoolean() EMAIL_DELIVERY_IN_API?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(60000) EMAIL_POLL_INTERVAL_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3600000) EMAIL_RETRY_BASE_MS?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @MinLength(16, { message: 'HEALTH_TOKEN must be at least 16 characters' }) HEALTH_TOKEN?: string;
  @IsOptional() @Transform(emptyToUndefined) @Transform(toInt) @Min(1) @Max(36500) @IsInt() AUDIT_RETENTION_DAYS?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsEmail() BOOTSTRAP_ADMIN_EMAIL?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() BOOTSTRAP_ADMIN_PASSWORD?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() GOOGLE_CLIENT_ID?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() GOOGLE_CLIENT_SECRET?: string;
  @IsOptional() @IsUrl(url) GOOGLE_AUTHORIZATION_URL?: string;
  @IsOptional() @IsUrl(url) GOOGLE_TOKEN_URL?: string;
  @IsOptional() @IsUrl(url) GOOGLE_USERINFO_URL?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() GITHUB_CLIENT_ID?: string;
  @IsOptional() @Transform(emptyToUndefined) @IsString() GITHUB_CLIENT_SECRET?: string;
  @IsOptional() @IsUrl(url) GITHUB_AUTHORIZATION_URL?: string;
  @IsOptional() @IsUrl(url) GITHUB_TOKEN_URL?: string;
  @IsOptional() @IsUrl(url) GITHUB_USER_URL?: string;
  @IsOptional() @IsUrl(url) GITHUB_EMAILS_URL?: string;
}
