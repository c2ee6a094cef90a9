import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export interface ClientInfo {
  /** client address as Fastify derives it under `TRUST_PROXY` (its `trustProxy`, the same rules as Express's `trust proxy`) */
  ip: string | null;
  userAgent: string | null;
  requestId?: string;
}

export function clientInfoOf(req: FastifyRequest): ClientInfo {
  const ua = req.headers['user-agent'];
  // under TRUST_PROXY=true the address comes from X-Forwarded-For unchecked: bound it to the column
  const ip = req.ip ?? req.socket?.remoteAddress ?? null;
  return {
    ip: ip === null ? null : ip.slice(0, 64),
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    requestId: req.id === undefined ? undefined : String(req.id),
  };
}

/** IP (honouring TRUST_PROXY) and user agent of the caller. */
export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext) => clientInfoOf(ctx.switchToHttp().getRequest()));
