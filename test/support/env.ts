import { randomBytes } from 'node:crypto';

/** The machine's services; override with TEST_PG_ADMIN_URL / TEST_REDIS_URL. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const TEST_JWT_SECRET = randomBytes(48).toString('base64url');
export const TEST_KEY_ENCRYPTION_SECRET = randomBytes(48).toString('base64url');

/**
 * The environment every e2e app starts from: test mode, silent logs, cheap argon2 (the real cost
 * is measured by the benchmark, not here) and throttles high enough that only the throttling
 * suite meets them.
 */
export function baseTestEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET,
    PUBLIC_URL: 'http://api.test',
    FRONTEND_URL: 'http://app.test',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ARGON2_PARALLELISM: '1',
    THROTTLE_LIMIT: '100000',
    THROTTLE_LOGIN_LIMIT: '100000',
    THROTTLE_REGISTER_LIMIT: '100000',
    THROTTLE_REFRESH_LIMIT: '100000',
    THROTTLE_EMAIL_LIMIT: '100000',
    EMAIL_DELIVERY_IN_API: 'false',
    WEBHOOKS_DELIVERY_IN_API: 'false',
  };
}
