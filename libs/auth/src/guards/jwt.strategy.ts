import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { FastifyRequest } from 'fastify';
import { type AuthContext, Clock, CommonErrors } from '@app/common';
import { type AccessClaims, TokenCodec, TokenRejected } from '@app/keys';
import { AccessStateService, SessionsErrors } from '@app/sessions';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** What passport adds to the strategy object of each request. */
interface PassportActions {
  success(user: unknown): void;
  fail(info: unknown): void;
  error(err: unknown): void;
}

/**
 * passport-jwt takes the bearer token; TokenCodec verifies it with the configured algorithm
 * (pinned: `none` and every other one refused; signature, iss, aud, exp, iat/nbf sanity; with
 * ES256/EdDSA the key of its `kid`); then `validate` checks typ and asks the access-state store,
 * in one round trip, whether the session is live and what the user's current role and profile
 * are — and counts the request against the user's rate limit (authenticated requests are
 * throttled per user, not per IP: see AppThrottlerGuard).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly codec: TokenCodec,
    private readonly accessState: AccessStateService,
    private readonly clock: Clock,
  ) {
    // the verification below replaces passport-jwt's (jsonwebtoken cannot verify EdDSA); it still needs a key source
    super({ jwtFromRequest: bearerToken, secretOrKeyProvider: (_req: unknown, _token: unknown, done: (e: null, k: string) => void) => done(null, '') });
  }

  override authenticate(this: JwtStrategy & PassportActions, request: unknown): void {
    const req = request as FastifyRequest;
    const token = bearerToken(req as never);
    if (!token) return this.fail(new Error('No auth token'));
    const now = this.clock.now().getTime();
    this.codec
      .verify(token, now / 1000)
      .then(
        async (claims) => this.success(await this.validate(claims, now)),
        (err: unknown) => {
          // the guard maps an expired token to token_expired, any other failure to token_invalid
          if (err instanceof TokenRejected)
            return this.fail(err.reason === 'expired' ? new TokenExpiredError('jwt expired', err.expiredAt ?? new Date(now)) : err);
          throw err;
        },
      )
      .catch((err: unknown) => this.error(err));
  }

  /** After TokenCodec.verify (signature, iss, aud, times, typ, sub and sid checked): the live state. */
  async validate(claims: AccessClaims, now = this.clock.now().getTime()): Promise<AuthContext> {
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
