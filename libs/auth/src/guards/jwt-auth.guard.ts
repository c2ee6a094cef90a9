import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { TokenExpiredError } from 'jsonwebtoken';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { clientBucket, IS_PUBLIC_KEY, OPTIONAL_AUTH_KEY, ProblemException } from '@app/common';

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
      return (await super.canActivate(context)) as boolean;
    } catch (err) {
      if (err instanceof ProblemException && err.status === 401) {
        const { limit, ttlMs } = this.config.throttle;
        const tracker = clientBucket(req.ip ?? req.socket?.remoteAddress ?? 'unknown');
        const record = await this.throttle.increment(`unauthenticated:${tracker}`, ttlMs, limit, ttlMs, 'default');
        if (record.isBlocked) {
          const retryAfter = String(Math.max(1, record.timeToBlockExpire || record.timeToExpire));
          throw new ProblemException(429, 'rate_limited', 'Too many requests; retry later', { headers: { 'Retry-After': retryAfter } });
        }
      }
      throw err;
    }
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err) throw err instanceof ProblemException ? err : ProblemException.unauthorized('unauthorized', 'Authentication is required');
    if (user) return user;
    throw describe(info);
  }
}

/** Maps passport-jwt / jsonwebtoken failures to the contract's codes. */
function describe(info: unknown): ProblemException {
  if (info instanceof TokenExpiredError) return ProblemException.unauthorized('token_expired', 'The access token has expired');
  const message = info instanceof Error ? info.message : '';
  if (message === 'No auth token' || message === 'jwt malformed' || message === 'invalid token' || message === 'jwt must be provided') {
    return ProblemException.unauthorized('unauthorized', 'A bearer access token is required');
  }
  return ProblemException.unauthorized('token_invalid', 'The access token is not valid');
}
