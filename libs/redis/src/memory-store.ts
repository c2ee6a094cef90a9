import { AccessProbe, KeyValueStore, SetEntry } from './key-value-store';

/** The in-process store of the embedded mode: one node, nothing survives a restart. */
export class MemoryKeyValueStore extends KeyValueStore {
  readonly mode = 'in-process' as const;
  private readonly map = new Map<string, { value: string; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  isReady(): boolean {
    return true;
  }
  async ping(): Promise<number> {
    return 0;
  }
  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.map((k) => this.read(k));
  }
  async set(key: string, value: string, ttlMs: number, opts: { nx?: boolean } = {}): Promise<boolean> {
    if (opts.nx && this.read(key) !== null) return false;
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }
  async setUnlessAndIfNewer(
    entry: { key: string; value: string; unless: string },
    versioned: { key: string; version: number; payload: string },
    ttlMs: number,
  ): Promise<void> {
    if (this.read(entry.key) !== entry.unless) await this.set(entry.key, entry.value, ttlMs);
    await this.setIfNewer(versioned.key, versioned.version, versioned.payload, ttlMs);
  }
  async accessProbe(sessionKey: string, userKey: string, throttleKey: string, windowMs: number): Promise<AccessProbe> {
    const now = this.now();
    const window = this.map.get(throttleKey);
    let hits = 1;
    let ends = now + windowMs;
    if (window && window.expiresAt > now) {
      hits = Number(window.value) + 1;
      ends = window.expiresAt;
    }
    this.map.set(throttleKey, { value: String(hits), expiresAt: ends });
    return { hits, windowMs: ends - now, session: this.read(sessionKey), user: this.read(userKey) };
  }
  async setIfNewer(key: string, version: number, payload: string, ttlMs: number): Promise<boolean> {
    const current = this.read(key);
    const bar = current === null ? -1 : current.indexOf('|');
    const v = bar < 0 ? NaN : Number(current!.slice(0, bar));
    if (Number.isFinite(v) && v >= version) return false;
    return this.set(key, `${version}|${payload}`, ttlMs);
  }
  async setMany(entries: SetEntry[]): Promise<void> {
    for (const e of entries) await this.set(e.key, e.value, e.ttlMs);
  }
  async del(keys: string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
  }
  async incr(key: string, ttlMs: number): Promise<number> {
    const entry = this.read(key) === null ? undefined : this.map.get(key);
    const count = Number(entry?.value ?? 0) + 1;
    this.map.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? this.now() + ttlMs });
    return count;
  }
  async take(key: string): Promise<string | null> {
    const value = this.read(key);
    this.map.delete(key);
    return value;
  }
  close(): void {
    clearInterval(this.sweeper);
    this.map.clear();
  }

  private read(key: string): string | null {
    const entry = this.map.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key);
      return null;
    }
    return entry.value;
  }
  private sweep(): void {
    const now = this.now();
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
  }
}
