import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { clientBucket, ProblemException } from '@app/common';

/**
 * Keys by client IP as Express derives it under TRUST_PROXY (X-Forwarded-For only through the
 * trusted hops) — an IPv6 client by its /64 — and answers 429 rate_limited with Retry-After.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as Request;
    return clientBucket(r.ip ?? r.socket?.remoteAddress ?? 'unknown');
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    throw new ProblemException(429, 'rate_limited', 'Too many requests; retry later', { headers: { 'Retry-After': String(retryAfter) } });
  }
}
