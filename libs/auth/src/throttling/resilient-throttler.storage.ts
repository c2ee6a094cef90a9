import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';

/**
 * Throttle counters shared by every node through Redis; while Redis is unreachable each node
 * counts in its own memory (limits then apply per node) instead of failing requests or letting
 * everything through.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('Throttler');
  private readonly redis?: ThrottlerStorageRedisService;
  private readonly memory = new ThrottlerStorageService();
  private fallingBack = false;

  constructor(client?: Redis) {
    if (client) this.redis = new ScriptCachedThrottlerStorage(client);
  }

  get usingFallback(): boolean {
    return !this.redis || this.fallingBack;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, name: string): Promise<ThrottlerStorageRecord> {
    if (this.redis) {
      try {
        const record = await this.redis.increment(key, ttl, limit, blockDuration, name);
        if (this.fallingBack) this.logger.log('Redis back: throttle counters shared again');
        this.fallingBack = false;
        return record;
      } catch (err) {
        if (!this.fallingBack) this.logger.warn(`Redis unavailable for throttling (${(err as Error).message}); counting per node`);
        this.fallingBack = true;
      }
    }
    return this.memory.increment(key, ttl, limit, blockDuration, name);
  }

  onApplicationShutdown(): void {
    this.memory.onApplicationShutdown();
  }
}

/**
 * The library's storage sends its Lua source with every EVAL (about 800 bytes, hashed by Redis on
 * each call); this runs the same script through ioredis `defineCommand` instead: EVALSHA, with
 * the EVAL fallback ioredis does by itself when Redis has not cached the script (NOSCRIPT).
 */
class ScriptCachedThrottlerStorage extends ThrottlerStorageRedisService {
  constructor(client: Redis) {
    super(client);
    client.defineCommand(THROTTLE_COMMAND, { numberOfKeys: 2, lua: this.scriptSrc });
  }

  override async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const command = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[THROTTLE_COMMAND];
    const results = await command.call(
      this.redis,
      `{${key}:${throttlerName}}:hits`,
      `{${key}:${throttlerName}}:blocked`,
      throttlerName,
      ttl,
      limit,
      blockDuration,
    );
    if (!Array.isArray(results) || results.length !== 4 || !results.every((v) => typeof v === 'number')) {
      throw new TypeError(`Unexpected throttle script result: ${JSON.stringify(results)}`);
    }
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = results as number[];
    return {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    };
  }
}

const THROTTLE_COMMAND = 'identityThrottleIncrement';
