import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule, ThrottlerOptions } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '@app/config';
import { tryCanonicalEmail } from '@app/common';
import { KeyValueStore, RedisKeyValueStore } from '@app/redis';
import { RATE_LIMIT_KEY, RateLimitBucket } from './rate-limit.decorator';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

const reflector = new Reflector();

function bucket(name: RateLimitBucket, limit: number, ttl: number): ThrottlerOptions {
  return {
    name,
    limit,
    ttl,
    // a named bucket only counts the routes marked @RateLimit(name)
    skipIf: (context) => bucketOf(context) !== name,
  };
}

/** The route's bucket (undefined: the default one); looked up once per route, not per throttler and request. */
const buckets = new WeakMap<object, RateLimitBucket | undefined>();
const bucketOf = (context: ExecutionContext): RateLimitBucket | undefined => {
  const handler = context.getHandler();
  if (!buckets.has(handler)) buckets.set(handler, reflector.getAllAndOverride<RateLimitBucket | undefined>(RATE_LIMIT_KEY, [handler, context.getClass()]));
  return buckets.get(handler);
};
/** The canonical target address, so every spelling of one mailbox shares its limit. */
const targetEmail = (req: Record<string, unknown>) => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' && email.trim() ? (tryCanonicalEmail(email) ?? email.trim().toLowerCase()) : null;
};

/**
 * Mail-sending routes are limited per client IP and, separately, per target address (so one
 * mailbox cannot be flooded from many addresses).
 */
function perTargetEmail(limit: number, ttl: number): ThrottlerOptions {
  return {
    name: 'email_target',
    limit,
    ttl,
    skipIf: (context) => bucketOf(context) !== 'email' || !targetEmail(context.switchToHttp().getRequest()),
    getTracker: (req) => `email:${targetEmail(req)}`,
  };
}

/** @nestjs/throttler with shared Redis storage; the guard itself is registered by AuthModule. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, KeyValueStore],
      useFactory: (config: AppConfig, store: KeyValueStore) => {
        const t = config.throttle;
        return {
          storage: new ResilientThrottlerStorage(store instanceof RedisKeyValueStore ? store.client : undefined),
          setHeaders: false,
          throttlers: [
            // a route with its own (stricter) bucket counts there only: one Redis call per request
            { name: 'default', limit: t.limit, ttl: t.ttlMs, skipIf: (context) => bucketOf(context) !== undefined },
            bucket('login', t.loginLimit, t.ttlMs),
            bucket('register', t.registerLimit, t.ttlMs),
            bucket('refresh', t.refreshLimit, t.ttlMs),
            bucket('email', t.emailLimit, t.ttlMs),
            perTargetEmail(t.emailLimit, t.ttlMs),
          ],
        };
      },
    }),
  ],
  exports: [ThrottlerModule],
})
export class ThrottlingModule {}
