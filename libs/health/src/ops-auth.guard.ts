import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type AuthContext, CommonErrors, ProblemException, safeEqual, sha256 } from '@app/common';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Operations endpoints (detailed health, metrics): `Authorization: Bearer $HEALTH_TOKEN` for
 * monitoring, or an admin's access token. The token is compared in constant time (digests of
 * equal length); anything else goes through the regular access-token strategy ('jwt': signature,
 * claims, live session and role) and must then belong to a live admin.
 * The routes are @Public for the global guard: this guard is their only gate.
 */
@Injectable()
export class OpsAuthGuard extends AuthGuard('jwt') {
  private readonly tokenDigest?: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super();
    this.tokenDigest = config.health.token ? sha256(config.health.token) : undefined;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthContext }>();
    const presented = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!presented) throw CommonErrors.unauthenticated('A bearer token is required');
    if (this.tokenDigest && safeEqual(sha256(presented), this.tokenDigest)) return true;
    await super.canActivate(context);
    if (req.user?.role !== 'admin') throw CommonErrors.roleRequired();
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof ProblemException) throw err;
    if (err || !user) throw CommonErrors.unauthenticated('A valid HEALTH_TOKEN or admin access token is required');
    return user;
  }
}
