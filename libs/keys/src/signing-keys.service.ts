import { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from 'jose';

/** What jose's key functions return (a WebCrypto key; the tsconfig has no DOM lib). */
type CryptoKey = Awaited<ReturnType<typeof importPKCS8>>;
import { APP_CONFIG, AppConfig } from '@app/config';
import { UnitOfWork } from '@app/database';
import { type Actor, Clock, type Cursor, DomainEvents, SecretBox } from '@app/common';
import { type AsymmetricAlg, type SigningKeyRow, SigningKeysRepository } from './signing-keys.repository';

/** A key as the codec uses it: the row and its imported halves (the private one only for the current key). */
export interface LoadedKey {
  row: SigningKeyRow;
  publicKey: CryptoKey;
  /** the same public key as node:crypto's KeyObject (the per-request signature check) */
  verifyKey: KeyObject;
  privateKey?: CryptoKey;
}

/** How often a node re-reads the keys (and checks whether a rotation is due): all nodes agree within this. */
const REFRESH_MS = 30_000;
/** A token with an unknown kid re-reads the keys, at most this often. */
const MISS_REFRESH_MS = 1_000;

/**
 * The signing keys of access tokens (JWT_ALGORITHM ES256 or EdDSA), kept in PostgreSQL: a
 * `current` key signs, a `next` key is published from its creation (so resource servers' JWKS
 * caches know it before it signs), `retired` keys stay published until every token they signed
 * has expired. Every node re-reads them every 30 s and on an unknown kid; a rotation (admin, or
 * due after SIGNING_KEY_ROTATION_DAYS, checked by every node's refresh) runs under a row lock, so
 * nodes never disagree on the current key for longer than a refresh.
 */
@Injectable()
export class SigningKeys implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private readonly box: SecretBox;
  private keys = new Map<string, LoadedKey>();
  private currentKid: string | null = null;
  private loadedAt = 0;
  private loading?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: SigningKeysRepository,
    private readonly uow: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {
    this.box = new SecretBox(config.keys.encryptionSecret, 'signing-key-v1');
  }

  get alg(): AsymmetricAlg | null {
    return this.config.auth.algorithm === 'HS256' ? null : this.config.auth.algorithm;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.alg) return;
    await this.ensure();
    this.timer = setInterval(() => void this.tick(), REFRESH_MS).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The key that signs now. */
  async current(): Promise<LoadedKey> {
    if (Date.now() - this.loadedAt > REFRESH_MS) await this.reload();
    let key = this.currentKid ? this.keys.get(this.currentKid) : undefined;
    if (!key) {
      await this.ensure();
      key = this.currentKid ? this.keys.get(this.currentKid) : undefined;
    }
    if (!key) throw new Error('no current signing key');
    if (!key.privateKey) key.privateKey = await importPKCS8(this.openPrivate(key.row), key.row.alg, { extractable: false });
    return key;
  }

  /** The public key of `kid`, re-reading the keys once when it is unknown (a rotation on another node). */
  async forKid(kid: string | undefined): Promise<LoadedKey | null> {
    if (!kid) return null;
    const known = this.keys.get(kid);
    // a token signed by what this node knows as the next key: another node rotated; catch up now
    // (once: after the reload that key is the current one here too)
    if (known?.row.state === 'next') await this.reload();
    if (known) return this.keys.get(kid) ?? known;
    if (Date.now() - this.loadedAt > MISS_REFRESH_MS) await this.reload();
    return this.keys.get(kid) ?? null;
  }

  /** The public JWKs to publish: next, current, and retired keys until their tokens have expired. */
  async jwks(): Promise<JWK[]> {
    if (!this.alg) return [];
    if (Date.now() - this.loadedAt > MISS_REFRESH_MS) await this.reload();
    return [...this.keys.values()].map((k) => ({ ...(k.row.publicJwk as JWK), kid: k.row.kid, alg: k.row.alg, use: 'sig' }));
  }

  page(f: { limit: number; cursor?: Cursor }): Promise<SigningKeyRow[]> {
    return this.repo.page(f);
  }

  /**
   * next → current, current → retired (published until the longest-lived token it signed has
   * expired), and a new next. One rotation at a time across nodes (row locks). Returns the new
   * current key. `actor` given: an on-demand rotation, audited.
   */
  async rotate(actor: Actor | null, reason: 'on_demand' | 'scheduled' = 'on_demand'): Promise<SigningKeyRow> {
    const alg = this.requireAlg();
    const now = this.clock.now();
    const rotated = await this.uow.run(async (tx) => {
      const locked = await this.repo.lockForRotation(alg, tx);
      const current = locked.find((k) => k.state === 'current');
      if (reason === 'scheduled' && current && !this.due(current, now)) return null;
      let next = locked.find((k) => k.state === 'next');
      if (!next) {
        next = await this.generate(alg, 'next', null);
        await this.repo.insert(next, now, tx);
      }
      if (current) await this.repo.retire(current.kid, now, new Date(now.getTime() + (this.config.auth.accessTtl + 60) * 1000), tx);
      await this.repo.activate(next.kid, now, tx);
      await this.repo.insert(await this.generate(alg, 'next', null), now, tx);
      if (actor) {
        await this.events.record('admin.signing_key_rotated', actor, { target: null, metadata: { kid: next.kid, retired_kid: current?.kid ?? null, alg }, tx });
      }
      return { ...next, state: 'current' as const, activatedAt: now };
    });
    await this.reload();
    if (rotated) this.logger.log(`signing key rotated (${reason}): ${rotated.kid} now signs`);
    return rotated ?? (await this.current()).row;
  }

  /** Makes sure a current and a next key exist (first boot; a node racing another is fine: the unique indexes pick one). */
  private async ensure(): Promise<void> {
    const alg = this.requireAlg();
    const now = this.clock.now();
    let live = await this.repo.live(alg, now);
    if (!live.some((k) => k.state === 'current')) await this.repo.insert(await this.generate(alg, 'current', now), now);
    if (!live.some((k) => k.state === 'next')) await this.repo.insert(await this.generate(alg, 'next', null), now);
    live = await this.repo.live(alg, now);
    await this.load(live);
  }

  private async tick(): Promise<void> {
    try {
      await this.reload();
      const current = this.currentKid ? this.keys.get(this.currentKid) : undefined;
      if (current && this.due(current.row, this.clock.now())) await this.rotate(null, 'scheduled');
    } catch (err) {
      this.logger.warn(`signing keys refresh failed: ${(err as Error).message}`);
    }
  }

  private due(current: SigningKeyRow, now: Date): boolean {
    const since = (current.activatedAt ?? current.createdAt).getTime();
    return now.getTime() - since >= this.config.keys.rotationDays * 86_400_000;
  }

  private reload(): Promise<void> {
    this.loading ??= this.repo
      .live(this.requireAlg(), this.clock.now())
      .then((rows) => this.load(rows))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(rows: SigningKeyRow[]): Promise<void> {
    const next = new Map<string, LoadedKey>();
    for (const row of rows) {
      const known = this.keys.get(row.kid);
      if (known) {
        next.set(row.kid, { ...known, row });
        continue;
      }
      const publicKey = (await importJWK(row.publicJwk as JWK, row.alg)) as CryptoKey;
      next.set(row.kid, { row, publicKey, verifyKey: KeyObject.from(publicKey as never) });
    }
    this.keys = next;
    this.currentKid = rows.find((r) => r.state === 'current')?.kid ?? null;
    this.loadedAt = Date.now();
  }

  private async generate(alg: AsymmetricAlg, state: 'current' | 'next', activatedAt: Date | null): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const now = this.clock.now();
    return {
      kid,
      alg,
      state,
      publicJwk: publicJwk as Record<string, unknown>,
      privateSealed: this.box.seal(await exportPKCS8(privateKey), kid),
      createdAt: now,
      activatedAt,
      retiredAt: null,
      publishUntil: null,
    };
  }

  private openPrivate(row: SigningKeyRow): string {
    const pem = this.box.open(row.privateSealed, row.kid);
    if (!pem) throw new Error(`the private half of signing key ${row.kid} does not open with KEY_ENCRYPTION_SECRET`);
    return pem;
  }

  private requireAlg(): AsymmetricAlg {
    const alg = this.alg;
    if (!alg) throw new Error('JWT_ALGORITHM=HS256 has no signing keys');
    return alg;
  }
}
