import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type AuthContext, CommonErrors, type Role, ROLES_KEY } from '@app/common';

/** Global: enforces @Roles() against the caller's live role (not the token's claim). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthContext }>().user;
    if (user && roles.includes(user.role)) return true;
    throw CommonErrors.roleRequired();
  }
}
