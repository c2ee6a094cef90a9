import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type AuthContext, Clock, CommonErrors } from '@app/common';
import { AccessStateService, SessionsErrors } from '@app/sessions';
import { ACCESS_TOKEN_ALGORITHM, AccessTokenClaims, AccessTokenService } from '../tokens/access-token.service';
import { AuthErrors } from '../errors';

/**
 * passport-jwt verifies signature (algorithm pinned: `none` and others refused), exp, iss and
 * aud; then `validate` checks typ and asks the access-state store, in one round trip, whether the
 * session is live and what the user's current role and profile are — and counts the request
 * against the user's rate limit (authenticated requests are throttled per user, not per IP: see
 * AppThrottlerGuard).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    tokens: AccessTokenService,
    private readonly accessState: AccessStateService,
    private readonly clock: Clock,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: tokens.key as unknown as string,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
      // nbf is checked below with the same clock skew as iat (jsonwebtoken allows none)
      jsonWebTokenOptions: { ignoreNotBefore: true },
    });
  }

  async validate(claims: Partial<AccessTokenClaims> & { nbf?: unknown }): Promise<AuthContext> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !isUuid(claims.sid) || !isUuid(claims.sub)) {
      throw AuthErrors.tokenInvalid();
    }
    const now = this.clock.now().getTime();
    if (!hasSaneTimes(claims, now / 1000)) throw AuthErrors.tokenInvalid();
    const decision = await this.accessState.authorize(claims.sid, claims.sub, now);
    if (!decision.ok) {
      if (decision.reason === 'throttled') {
        throw CommonErrors.rateLimited(decision.retryAfterS);
      }
      throw SessionsErrors.tokenRevoked();
    }
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      role: decision.role,
      jti: String(claims.jti ?? ''),
      profile: decision.profile,
      authTime: typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time) ? claims.auth_time : undefined,
      amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : undefined,
    };
  }
}

/** Tolerated clock difference between the node that signed a token and the one checking it. */
const CLOCK_SKEW_S = 60;

/**
 * A token must expire (one without `exp` would live forever), and may not claim to be issued or
 * valid from further in the future than clock skew explains: jsonwebtoken checks neither.
 */
function hasSaneTimes(claims: { exp?: unknown; iat?: unknown; nbf?: unknown }, now: number): boolean {
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return false;
  for (const t of [claims.iat, claims.nbf]) {
    if (t === undefined) continue;
    if (typeof t !== 'number' || !Number.isFinite(t) || t > now + CLOCK_SKEW_S) return false;
  }
  return true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(v: string): boolean {
  return UUID.test(v);
}
