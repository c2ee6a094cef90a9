import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type AuthContext, ProblemException } from '@app/common';
import { AccessStateService } from '@app/sessions';
import { ACCESS_TOKEN_ALGORITHM, AccessTokenClaims } from '../tokens/access-token.service';
import { AccessTokenService } from '../tokens/access-token.service';

/**
 * passport-jwt verifies signature (algorithm pinned: `none` and others refused), exp, iss and
 * aud; then `validate` checks typ and asks the access-state store, in one round trip, whether the
 * session is live and what the user's current role is.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    tokens: AccessTokenService,
    private readonly accessState: AccessStateService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: tokens.key as unknown as string,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
    });
  }

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthContext> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !isUuid(claims.sid) || !isUuid(claims.sub)) {
      throw ProblemException.unauthorized('token_invalid', 'The access token is not valid');
    }
    const decision = await this.accessState.check(claims.sid, claims.sub);
    if (!decision.ok) {
      throw ProblemException.unauthorized('token_revoked', 'The session of this access token has ended');
    }
    return { userId: claims.sub, sessionId: claims.sid, role: decision.role, jti: String(claims.jti ?? '') };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(v: string): boolean {
  return UUID.test(v);
}
