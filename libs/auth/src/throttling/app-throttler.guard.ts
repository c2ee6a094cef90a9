import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientBucket, CommonErrors, IS_PUBLIC_KEY } from '@app/common';
import { RATE_LIMIT_KEY } from './rate-limit.decorator';

const reflector = new Reflector();
/** per route: does a bearer token move its counting to the access-state check? */
const countedPerUser = new WeakMap<object, boolean>();

/**
 * Keys by client IP as Fastify derives it under TRUST_PROXY (X-Forwarded-For only through the
 * trusted hops, the rules of Express's `trust proxy`) — an IPv6 client by its /64 — and answers
 * 429 rate_limited with Retry-After.
 *
 * A request with a bearer token on a route that needs one and has no bucket of its own is not
 * counted here: the access-state check counts it per user in the same Redis call that reads the
 * session (one round trip per authenticated request), and JwtAuthGuard counts a token that fails
 * verification against the client IP.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const authorization = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    if (authorization && /^bearer /i.test(authorization)) {
      const handler = context.getHandler();
      let perUser = countedPerUser.get(handler);
      if (perUser === undefined) {
        const targets = [handler, context.getClass()];
        perUser = !reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) && reflector.getAllAndOverride(RATE_LIMIT_KEY, targets) === undefined;
        countedPerUser.set(handler, perUser);
      }
      if (perUser) return true;
    }
    return super.shouldSkip(context);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as FastifyRequest;
    return clientBucket(r.ip ?? r.socket?.remoteAddress ?? 'unknown');
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    throw CommonErrors.rateLimited(retryAfter);
  }
}
