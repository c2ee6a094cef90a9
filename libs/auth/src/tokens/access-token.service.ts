import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { TokenCodec } from '@app/keys';
import type { Role } from '@app/common';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  typ: 'access';
  /** when the user last proved who they are in this session (v1.2) */
  auth_time?: number;
  /** how (RFC 8176: pwd, otp, hwk, swk, oauth) (v1.2) */
  amr?: string[];
}

/** What the session's last proof of identity was: carried into every access token it issues. */
export interface Proof {
  authTime: Date;
  amr: string[];
}

/**
 * Issues access tokens with the configured JWT_ALGORITHM (TokenCodec: HS256 with JWT_SECRET, or
 * ES256/EdDSA with the current signing key, `kid` in the header).
 */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly codec: TokenCodec,
  ) {}

  get ttlSeconds(): number {
    return this.config.auth.accessTtl;
  }

  issue(userId: string, sessionId: string, role: Role, now: number, proof?: Proof): Promise<string> {
    const iat = Math.floor(now / 1000);
    const claims: AccessTokenClaims = {
      sub: userId,
      sid: sessionId,
      role,
      jti: randomUUID(),
      iat,
      exp: iat + this.config.auth.accessTtl,
      iss: this.config.auth.issuer,
      aud: this.config.auth.audience,
      typ: 'access',
    };
    if (proof) {
      claims.auth_time = Math.floor(proof.authTime.getTime() / 1000);
      claims.amr = proof.amr;
    }
    return this.codec.sign({ ...claims });
  }
}
