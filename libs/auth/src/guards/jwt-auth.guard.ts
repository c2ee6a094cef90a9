import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import type { Request } from 'express';
import { IS_PUBLIC_KEY, OPTIONAL_AUTH_KEY, ProblemException } from '@app/common';

/** Global: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const optional = this.reflector.getAllAndOverride<boolean>(OPTIONAL_AUTH_KEY, [context.getHandler(), context.getClass()]);
    if (optional && !context.switchToHttp().getRequest<Request>().headers.authorization) return true;
    return super.canActivate(context);
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
