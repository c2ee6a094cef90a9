export type StoreMode = 'redis' | 'in-process';

/** What one authenticated request learns in its single store call (`accessProbe`). */
export interface AccessProbe {
  /** requests counted in the caller's throttle window, this one included */
  hits: number;
  /** ms until that window ends */
  windowMs: number;
  session: string | null;
  user: string | null;
}

export interface SetEntry {
  key: string;
  value: string;
  ttlMs: number;
}

/**
 * What the product keeps outside PostgreSQL: short-lived, shared between nodes, and always
 * rebuildable. Implemented by Redis (any number of nodes) and by an in-process map (embedded
 * mode only). Methods reject when the store is unreachable; callers decide how to degrade.
 */
export abstract class KeyValueStore {
  abstract readonly mode: StoreMode;
  /** true while commands can be sent */
  abstract isReady(): boolean;
  /** round-trip time in ms */
  abstract ping(): Promise<number>;
  abstract mget(keys: string[]): Promise<(string | null)[]>;
  /** SET with expiry; with `nx` only when absent. Resolves whether it was written. */
  abstract set(key: string, value: string, ttlMs: number, opts?: { nx?: boolean }): Promise<boolean>;
  /**
   * Two writes in one round trip (the keys share a hash tag): `entry.key` is set to `entry.value`
   * unless it currently holds `entry.unless`, and `versioned.key` is compare-and-set as by
   * `setIfNewer`. Both expire after `ttlMs`.
   */
  abstract setUnlessAndIfNewer(
    entry: { key: string; value: string; unless: string },
    versioned: { key: string; version: number; payload: string },
    ttlMs: number,
  ): Promise<void>;
  /** Several SETs in one round trip (pipeline). */
  abstract setMany(entries: SetEntry[]): Promise<void>;
  abstract del(keys: string[]): Promise<void>;
  /**
   * One round trip per authenticated request: counts the request in `throttleKey` (a fixed
   * window of `windowMs`, started by the first hit) and reads `sessionKey` and `userKey`. The
   * three keys share a hash tag, so on Redis Cluster they live in one slot.
   */
  abstract accessProbe(sessionKey: string, userKey: string, throttleKey: string, windowMs: number): Promise<AccessProbe>;
  /**
   * Compare-and-set on a version: writes `${version}|${payload}` unless the key holds a value of
   * the same or a newer version. Resolves whether it was written.
   */
  abstract setIfNewer(key: string, version: number, payload: string, ttlMs: number): Promise<boolean>;
  /** INCR: counts one more in `key` and resolves the new count; the count expires `ttlMs` after its first hit. */
  abstract incr(key: string, ttlMs: number): Promise<number>;
  /** GETDEL: read and remove atomically, for single-use values (OAuth state, exchange codes). */
  abstract take(key: string): Promise<string | null>;
}
