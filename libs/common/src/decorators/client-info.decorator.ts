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

/** Who did it: a user (null: nobody signed in, e.g. a reset request or a lockout), their session, and from where. */
export interface Actor extends Partial<ClientInfo> {
  actorId: string | null;
  sessionId?: string | null;
}

/**
 * The caller as the actor of what the route does: the signed-in user and session (none on public
 * routes) with the client's address and user agent — what audit events and revocations record.
 */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: { userId: string; sessionId: string } }>();
  return { actorId: req.user?.userId ?? null, sessionId: req.user?.sessionId ?? null, ...clientInfoOf(req) };
});
