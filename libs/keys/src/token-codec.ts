import { createSecretKey, KeyObject, verify } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import * as jwt from 'jsonwebtoken';
import { APP_CONFIG, AppConfig } from '@app/config';
import { isUuid } from '@app/common';
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

/** The claims of a token that verified: an access token (typ) of a user (sub) and a session (sid). */
export type AccessClaims = Record<string, unknown> & { typ: 'access'; sub: string; sid: string; exp: number };

/**
 * Signs and verifies access tokens with the configured JWT_ALGORITHM: HS256 with JWT_SECRET
 * (jsonwebtoken, the v1 behaviour), or ES256/EdDSA with the signing keys (jose; tokens carry
 * `kid`). Verification pins the algorithm (`none` and every other one refused), checks
 * signature, iss, aud and exp, and refuses a token without exp or with iat/nbf further in the
 * future than clock skew explains, and anything but an access token of a user and a session.
 */
@Injectable()
export class TokenCodec {
  private readonly secret: KeyObject;

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

  /** The claims of an access token that verifies, else TokenRejected. */
  async verify(token: string, nowS = Date.now() / 1000): Promise<AccessClaims> {
    const claims = this.config.auth.algorithm === 'HS256' ? this.verifyHs256(token) : await this.verifyAsymmetric(token);
    if (claims.iss !== this.config.auth.issuer || !audienceMatches(claims.aud, this.config.auth.audience)) throw new TokenRejected('invalid');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new TokenRejected('invalid');
    for (const t of [claims.iat, claims.nbf]) {
      if (t === undefined) continue;
      if (typeof t !== 'number' || !Number.isFinite(t) || t > nowS + CLOCK_SKEW_S) throw new TokenRejected('invalid');
    }
    if (claims.exp <= nowS) throw new TokenRejected('expired', new Date(claims.exp * 1000));
    if (claims.typ !== 'access' || !isUuid(claims.sub) || !isUuid(claims.sid)) throw new TokenRejected('invalid');
    return claims as AccessClaims;
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

  /**
   * The JWS check of an ES256/EdDSA token. The keys are jose's (generated, exported, imported as
   * JWKs); the signature check itself is node:crypto's `verify` on the key's KeyObject, which is
   * synchronous and about 2.5x cheaper per request than jose's WebCrypto path (bench --alg-trial:
   * with jose's compactVerify, ES256 halved GET /auth/me against HS256). The rules are JWS's:
   * the header's alg must be the configured one, the signing input is `header.payload`, ES256
   * signatures are the raw r||s of RFC 7518 (ieee-p1363).
   */
  private async verifyAsymmetric(token: string): Promise<Record<string, unknown>> {
    const alg = this.config.auth.algorithm;
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenRejected('invalid');
    let header: { alg?: unknown; kid?: unknown; crit?: unknown };
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      throw new TokenRejected('invalid');
    }
    if (header.alg !== alg || header.crit !== undefined) throw new TokenRejected('invalid');
    const key = await this.keys.forKid(typeof header.kid === 'string' ? header.kid : undefined);
    if (!key) throw new TokenRejected('invalid');
    const signature = Buffer.from(parts[2], 'base64url');
    const input = Buffer.from(`${parts[0]}.${parts[1]}`);
    const ok =
      alg === 'ES256' ? verify('sha256', input, { key: key.verifyKey, dsaEncoding: 'ieee-p1363' }, signature) : verify(null, input, key.verifyKey, signature);
    if (!ok || typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TokenRejected('invalid');
    return claims as Record<string, unknown>;
  }
}

function audienceMatches(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}
