import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { KeyValueStore } from './key-value-store';
import { MemoryKeyValueStore } from './memory-store';
import { RedisKeyValueStore } from './redis-store';

/**
 * The shared short-lived store: Redis from REDIS_URL (with REDIS_KEY_PREFIX on every key), or an
 * in-process map when no REDIS_URL is given outside production.
 */
@Global()
@Module({
  providers: [
    {
      provide: KeyValueStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): KeyValueStore => {
        if (config.redis.url) return RedisKeyValueStore.connect(config.redis.url, config.redis.keyPrefix);
        if (config.app.nodeEnv === 'production') throw new Error('REDIS_URL is required in production');
        new Logger('Redis').log('No REDIS_URL: using the in-process store (single node only)');
        return new MemoryKeyValueStore();
      },
    },
  ],
  exports: [KeyValueStore],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(KeyValueStore) private readonly store: KeyValueStore) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof RedisKeyValueStore) await this.store.close();
    if (this.store instanceof MemoryKeyValueStore) this.store.close();
  }
}
