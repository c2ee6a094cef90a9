import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AccessProbe, KeyValueStore, SetEntry } from './key-value-store';

/**
 * Options that make Redis failures cheap: no offline queue (a command fails at once while the
 * connection is down instead of piling up), short timeouts, endless capped reconnects.
 */
export function redisOptions(keyPrefix: string): RedisOptions {
  return {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    enableReadyCheck: true,
    // commands issued in the same tick (concurrent requests) share one write: fewer syscalls under load
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  };
}

// versions are PostgreSQL bigints that stay far below 2^53: tonumber compares them exactly
const CAS_ON_VERSION = `local function setIfNewer(key, version, payload, ttl)
  local current = redis.call('GET', key)
  if current then
    local v = tonumber(string.match(current, '^(%d+)|'))
    if v and v >= tonumber(version) then return 0 end
  end
  redis.call('SET', key, version .. '|' .. payload, 'PX', ttl)
  return 1
end
`;

const SET_IF_NEWER = `${CAS_ON_VERSION}return setIfNewer(KEYS[1], ARGV[1], ARGV[2], ARGV[3])`;

const SET_UNLESS_AND_IF_NEWER = `${CAS_ON_VERSION}if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
end
return setIfNewer(KEYS[2], ARGV[3], ARGV[4], ARGV[5])`;

const ACCESS_PROBE = `local hits = redis.call('INCR', KEYS[3])
local ttl
if hits == 1 then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
  ttl = tonumber(ARGV[1])
else
  ttl = redis.call('PTTL', KEYS[3])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[1]); ttl = tonumber(ARGV[1]) end
end
return {hits, ttl, redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or ''}`;

type ScriptedClient = Redis & {
  identitySetIfNewer(key: string, version: string, payload: string, ttlMs: string): Promise<number>;
  identitySetUnlessAndIfNewer(
    key: string,
    versionedKey: string,
    value: string,
    unless: string,
    version: string,
    payload: string,
    ttlMs: string,
  ): Promise<number>;
  identityAccessProbe(s: string, u: string, t: string, windowMs: string): Promise<[number, number, string, string]>;
};

export class RedisKeyValueStore extends KeyValueStore {
  readonly mode = 'redis' as const;
  private readonly logger = new Logger('Redis');
  private down = false;

  constructor(readonly client: Redis) {
    super();
    // EVALSHA with ioredis' own EVAL fallback (NOSCRIPT); keyPrefix applies to the keys
    client.defineCommand('identitySetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
    client.defineCommand('identitySetUnlessAndIfNewer', { numberOfKeys: 2, lua: SET_UNLESS_AND_IF_NEWER });
    client.defineCommand('identityAccessProbe', { numberOfKeys: 3, lua: ACCESS_PROBE });
    client.on('error', (err: Error) => {
      if (!this.down) this.logger.warn(`Redis unavailable: ${err.message}`);
      this.down = true;
    });
    client.on('ready', () => {
      if (this.down) this.logger.log('Redis connection restored');
      this.down = false;
    });
    client.on('end', () => (this.down = true));
  }

  static connect(url: string, keyPrefix: string): RedisKeyValueStore {
    return new RedisKeyValueStore(new Redis(url, redisOptions(keyPrefix)));
  }

  isReady(): boolean {
    return this.client.status === 'ready';
  }
  async ping(): Promise<number> {
    const started = performance.now();
    await this.client.ping();
    return performance.now() - started;
  }
  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.length ? this.client.mget(keys) : [];
  }
  async set(key: string, value: string, ttlMs: number, opts: { nx?: boolean } = {}): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    const result = opts.nx ? await this.client.set(key, value, 'PX', ms, 'NX') : await this.client.set(key, value, 'PX', ms);
    return result === 'OK';
  }
  async setUnlessAndIfNewer(
    entry: { key: string; value: string; unless: string },
    versioned: { key: string; version: number; payload: string },
    ttlMs: number,
  ): Promise<void> {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    await (this.client as ScriptedClient).identitySetUnlessAndIfNewer(
      entry.key,
      versioned.key,
      entry.value,
      entry.unless,
      String(versioned.version),
      versioned.payload,
      ttl,
    );
  }
  async accessProbe(sessionKey: string, userKey: string, throttleKey: string, windowMs: number): Promise<AccessProbe> {
    const [hits, ttl, session, user] = await (this.client as ScriptedClient).identityAccessProbe(
      sessionKey,
      userKey,
      throttleKey,
      String(Math.max(1, Math.ceil(windowMs))),
    );
    return { hits, windowMs: ttl, session: session === '' ? null : session, user: user === '' ? null : user };
  }
  async setIfNewer(key: string, version: number, payload: string, ttlMs: number): Promise<boolean> {
    const written = await (this.client as ScriptedClient).identitySetIfNewer(key, String(version), payload, String(Math.max(1, Math.ceil(ttlMs))));
    return written === 1;
  }
  async setMany(entries: SetEntry[]): Promise<void> {
    if (!entries.length) return;
    const pipeline = this.client.pipeline();
    for (const e of entries) pipeline.set(e.key, e.value, 'PX', Math.max(1, Math.ceil(e.ttlMs)));
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
  async del(keys: string[]): Promise<void> {
    if (keys.length) await this.client.del(...keys);
  }
  async incr(key: string, ttlMs: number): Promise<number> {
    const replies = await this.client
      .multi()
      .incr(key)
      .pexpire(key, Math.max(1, Math.ceil(ttlMs)), 'NX')
      .exec();
    const [err, count] = replies?.[0] ?? [new Error('INCR got no reply'), 0];
    if (err) throw err;
    return Number(count);
  }
  async take(key: string): Promise<string | null> {
    return this.client.getdel(key);
  }
  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
