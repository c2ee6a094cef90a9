import { Inject, Injectable } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import * as QRCode from 'qrcode';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Clock, SecretBox, type Tx } from '@app/common';
import { TotpRepository } from './totp.repository';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s steps; ±1 step of drift. */
const PERIOD_S = 30;
const DIGITS = 6;
const WINDOW = 1;
/** a pending setup older than this is not confirmable */
const PENDING_TTL_MS = 15 * 60 * 1000;

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

/**
 * TOTP with otpauth: secrets are 20 random bytes, sealed at rest (AES-GCM, key derived from
 * KEY_ENCRYPTION_SECRET or JWT_SECRET, bound to the user id); a code's time step is spent once.
 */
@Injectable()
export class TotpService {
  private readonly box: SecretBox;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: TotpRepository,
    private readonly clock: Clock,
  ) {
    this.box = new SecretBox(config.mfa.sealingSecret, 'mfa-totp-v1');
  }

  async setup(userId: string, label: string): Promise<TotpEnrolment> {
    const secret = new Secret({ size: 20 });
    await this.repo.savePending(userId, this.box.seal(secret.base32, userId), this.clock.now());
    const uri = this.totp(secret, label).toString();
    return { secret: secret.base32, otpauth_uri: uri, qr_svg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  }

  /** Checks `code` against the pending secret and makes it the active one; false when it does not match. */
  async confirm(userId: string, code: string, tx: Tx): Promise<'confirmed' | 'wrong_code' | 'no_pending'> {
    const row = await this.repo.find(userId, tx);
    const now = this.clock.now();
    if (!row?.pendingSealed || !row.pendingCreatedAt || now.getTime() - row.pendingCreatedAt.getTime() > PENDING_TTL_MS) return 'no_pending';
    const step = this.match(row.pendingSealed, userId, code, now.getTime());
    if (step === null) return 'wrong_code';
    return (await this.repo.activate(userId, row.pendingSealed, step, now, tx)) ? 'confirmed' : 'no_pending';
  }

  /** true when `code` is the active secret's for now (±1 step) and its step was not spent yet (it is now). */
  async verify(userId: string, code: string): Promise<boolean> {
    const row = await this.repo.find(userId);
    if (!row?.secretSealed) return false;
    const step = this.match(row.secretSealed, userId, code, this.clock.now().getTime());
    if (step === null || step <= row.lastUsedStep) return false;
    return this.repo.spend(userId, step);
  }

  async isActive(userId: string, tx?: Tx): Promise<boolean> {
    return Boolean((await this.repo.find(userId, tx))?.secretSealed);
  }

  remove(userId: string, tx: Tx): Promise<boolean> {
    return this.repo.remove(userId, tx);
  }

  /** The time step `code` belongs to, or null. */
  private match(sealed: string, userId: string, code: string, nowMs: number): number | null {
    const base32 = this.box.open(sealed, userId);
    if (!base32 || !/^\d{6}$/.test(code)) return null;
    const delta = this.totp(Secret.fromBase32(base32), '').validate({ token: code, timestamp: nowMs, window: WINDOW });
    if (delta === null) return null;
    return Math.floor(nowMs / 1000 / PERIOD_S) + delta;
  }

  private totp(secret: Secret, label: string): TOTP {
    return new TOTP({ issuer: this.config.mfa.totpIssuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_S, secret });
  }
}
