import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { decode, TokenExpiredError } from 'jsonwebtoken';
import { ExtractJwt } from 'passport-jwt';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  type AuthContext,
  clientBucket,
  Clock,
  CommonErrors,
  IS_PUBLIC_KEY,
  MFA_ENROLMENT_KEY,
  OPTIONAL_AUTH_KEY,
  ProblemException,
  RECENT_AUTH_KEY,
} from '@app/common';
import { SessionsErrors } from '@app/sessions';
import { AuthErrors } from '../errors';

/** The 401s of a route behind this guard (with JwtStrategy's): the OpenAPI document lists them on every bearer route. */
export const ACCESS_TOKEN_PROBLEMS = [CommonErrors.unauthenticated, AuthErrors.tokenExpired, AuthErrors.tokenInvalid, SessionsErrors.tokenRevoked] as const;

/**
 * Global: every route needs a valid access token unless marked @Public(). A request whose token
 * fails verification is counted against its client IP (the default limit): valid tokens are
 * counted per user by the access-state check, so guessing tokens stays rate limited.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(getStorageToken()) private readonly throttle: ThrottlerStorage,
    private readonly clock: Clock,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const optional = this.reflector.getAllAndOverride<boolean>(OPTIONAL_AUTH_KEY, [context.getHandler(), context.getClass()]);
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (optional && !req.headers.authorization) return true;
    return this.authenticate(context, req);
  }

  private async authenticate(context: ExecutionContext, req: FastifyRequest): Promise<boolean> {
    try {
      const ok = (await super.canActivate(context)) as boolean;
      if (ok) this.assertStepUp(context, (req as unknown as { user: AuthContext }).user);
      return ok;
    } catch (err) {
      if (err instanceof ProblemException && err.status === 401) {
        const { limit, ttlMs } = this.config.throttle;
        const tracker = clientBucket(req.ip ?? req.socket?.remoteAddress ?? 'unknown');
        const record = await this.throttle.increment(`unauthenticated:${tracker}`, ttlMs, limit, ttlMs, 'default');
        if (record.isBlocked) {
          throw CommonErrors.rateLimited(Math.max(1, record.timeToBlockExpire || record.timeToExpire));
        }
      }
      throw err;
    }
  }

  /**
   * After the token passed: a user of a role in MFA_REQUIRED_ROLES without a factor may only
   * enrol (403 mfa_enrollment_required elsewhere); a sensitive route needs a session that proved
   * its user within REAUTH_WINDOW (403 reauth_required).
   */
  private assertStepUp(context: ExecutionContext, me: AuthContext): void {
    const targets = [context.getHandler(), context.getClass()];
    const { requiredRoles, reauthWindow } = this.config.mfa;
    if (requiredRoles.includes(me.role) && !(me.profile as { mfa_enabled?: boolean } | undefined)?.mfa_enabled) {
      if (!this.reflector.getAllAndOverride<boolean>(MFA_ENROLMENT_KEY, targets)) throw AuthErrors.mfaEnrollmentRequired();
    }
    if (this.reflector.getAllAndOverride<boolean>(RECENT_AUTH_KEY, targets)) {
      const age = this.clock.now().getTime() / 1000 - (me.authTime ?? 0);
      if (age > reauthWindow) throw AuthErrors.reauthRequired();
    }
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (err) throw err instanceof ProblemException ? err : CommonErrors.unauthenticated('Authentication is required');
    if (user) return user;
    throw describe(info, context.switchToHttp().getRequest<FastifyRequest>());
  }
}

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Maps a failed verification to the contract's codes by what was presented, not by passport's
 * message strings: no bearer token, or one that is not a JWT at all → `unauthorized`; an expired
 * one → `token_expired`; any other JWT that did not verify → `token_invalid`.
 */
function describe(info: unknown, req: FastifyRequest): ProblemException {
  if (info instanceof TokenExpiredError) return AuthErrors.tokenExpired();
  const token = bearerToken(req as never);
  if (!token || decode(token, { complete: true }) === null) return CommonErrors.unauthenticated();
  return AuthErrors.tokenInvalid();
}
