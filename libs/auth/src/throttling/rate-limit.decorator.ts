import { SetMetadata } from '@nestjs/common';

/** The stricter per-route buckets (THROTTLE_<NAME>_LIMIT per THROTTLE_TTL per client IP). */
export type RateLimitBucket = 'login' | 'register' | 'refresh' | 'email';
export const RATE_LIMIT_KEY = 'throttle:bucket';

/** Puts a route in a stricter bucket, on top of the default limit every route has. */
export const RateLimit = (bucket: RateLimitBucket) => SetMetadata(RATE_LIMIT_KEY, bucket);
