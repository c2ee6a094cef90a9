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
    if (client) this.redis = new ThrottlerStorageRedisService(client);
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
