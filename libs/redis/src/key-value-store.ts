export type StoreMode = 'redis' | 'in-process';

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
  /** SET with expiry unless the current value equals `unless` (atomic). Resolves whether it was written. */
  abstract setUnless(key: string, value: string, ttlMs: number, unless: string): Promise<boolean>;
  /** Several SETs in one round trip (pipeline). */
  abstract setMany(entries: SetEntry[]): Promise<void>;
  abstract del(keys: string[]): Promise<void>;
  /** GETDEL: read and remove atomically, for single-use values (OAuth state, exchange codes). */
  abstract take(key: string): Promise<string | null>;
}
