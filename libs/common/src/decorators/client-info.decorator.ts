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
  /**
   * `cli`: an operator command (`npm run cli`), run with access to the server rather than by a
   * signed-in user: no actor id, recorded as `metadata.actor = 'cli'` (API.md "Audit events").
   * Absent for everything that arrives over HTTP.
   */
  kind?: 'cli';
}

/**
 * The actor of an operator command: nobody signed in, no address; `userAgent` says which tool,
 * and the operating-system account that ran it when there is one (`identity-cli/0.1.0 (ops@host)`).
 */
export function cliActor(userAgent: string): Actor {
  return { actorId: null, sessionId: null, ip: null, userAgent, kind: 'cli' };
}

/**
 * The caller as the actor of what the route does: the signed-in user and session (none on public
 * routes) with the client's address and user agent — what audit events and revocations record.
 */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: { userId: string; sessionId: string } }>();
  return { actorId: req.user?.userId ?? null, sessionId: req.user?.sessionId ?? null, ...clientInfoOf(req) };
});
