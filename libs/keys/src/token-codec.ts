import { createSecretKey, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { compactVerify, decodeProtectedHeader, SignJWT } from 'jose';
import * as jwt from 'jsonwebtoken';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SigningKeys } from './signing-keys.service';

/** Tolerated clock difference between the node that signed a token and the one checking it. */
const CLOCK_SKEW_S = 60;

/** A token that did not verify: `expired` (a good signature, past exp) or `invalid` (anything else). */
export class TokenRejected extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid',
    readonly expiredAt?: Date,
  ) {
    super(reason === 'expired' ? 'jwt expired' : 'invalid token');
  }
}

/**
 * Signs and verifies access tokens with the configured JWT_ALGORITHM: HS256 with JWT_SECRET
 * (jsonwebtoken, the v1 behaviour), or ES256/EdDSA with the signing keys (jose; tokens carry
 * `kid`). Verification pins the algorithm (`none` and every other one refused), checks
 * signature, iss, aud and exp, and refuses a token without exp or with iat/nbf further in the
 * future than clock skew explains.
 */
@Injectable()
export class TokenCodec {
  private readonly secret: KeyObject;
  private readonly decoder = new TextDecoder();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeys,
  ) {
    // jsonwebtoken verifies ~40x faster with a KeyObject than with a string secret
    this.secret = createSecretKey(Buffer.from(config.auth.jwtSecret));
  }

  get algorithm(): string {
    return this.config.auth.algorithm;
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    if (this.config.auth.algorithm === 'HS256') return jwt.sign(claims, this.secret, { algorithm: 'HS256' });
    const key = await this.keys.current();
    return new SignJWT(claims).setProtectedHeader({ alg: key.row.alg, kid: key.row.kid, typ: 'JWT' }).sign(key.privateKey!);
  }

  /** The claims of a token that verifies, else TokenRejected. */
  async verify(token: string, nowS = Date.now() / 1000): Promise<Record<string, unknown>> {
    const claims = this.config.auth.algorithm === 'HS256' ? this.verifyHs256(token) : await this.verifyAsymmetric(token);
    if (claims.iss !== this.config.auth.issuer || !audienceMatches(claims.aud, this.config.auth.audience)) throw new TokenRejected('invalid');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new TokenRejected('invalid');
    for (const t of [claims.iat, claims.nbf]) {
      if (t === undefined) continue;
      if (typeof t !== 'number' || !Number.isFinite(t) || t > nowS + CLOCK_SKEW_S) throw new TokenRejected('invalid');
    }
    if (claims.exp <= nowS) throw new TokenRejected('expired', new Date(claims.exp * 1000));
    return claims;
  }

  private verifyHs256(token: string): Record<string, unknown> {
    try {
      const payload = jwt.verify(token, this.secret, { algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true });
      if (typeof payload !== 'object' || payload === null) throw new TokenRejected('invalid');
      return payload as Record<string, unknown>;
    } catch (err) {
      if (err instanceof TokenRejected) throw err;
      throw new TokenRejected('invalid');
    }
  }

  private async verifyAsymmetric(token: string): Promise<Record<string, unknown>> {
    const alg = this.config.auth.algorithm;
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== alg) throw new TokenRejected('invalid');
      kid = typeof header.kid === 'string' ? header.kid : undefined;
    } catch {
      throw new TokenRejected('invalid');
    }
    const key = await this.keys.forKid(kid);
    if (!key) throw new TokenRejected('invalid');
    try {
      const { payload } = await compactVerify(token, key.publicKey, { algorithms: [alg] });
      const claims = JSON.parse(this.decoder.decode(payload)) as unknown;
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TokenRejected('invalid');
      return claims as Record<string, unknown>;
    } catch {
      throw new TokenRejected('invalid');
    }
  }
}

function audienceMatches(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}
