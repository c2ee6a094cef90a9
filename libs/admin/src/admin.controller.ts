import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, type AuthContext, CurrentUser, Roles, toPage } from '@app/common';
import { AdminAuditQueryDto, AuditPageDto, AuditService } from '@app/audit';
import { AdminSessionDto, AdminSessionPageDto, AdminSessionQueryDto, SessionIdParam, SessionsErrors, SessionsService } from '@app/sessions';
import { UserFactorsDto } from '@app/mfa';
import { UserDto, UserIdParam, UsersErrors } from '@app/users';
import { AdminService } from './admin.service';
import { AdminUserQueryDto, UpdateUserDto, UserPageDto } from './dto/admin.dto';
import { AdminErrors } from './errors';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  @Get('users')
  @ApiOperation({
    summary: 'Users, newest first; q matches email or name (case-insensitive)',
    description: 'The filters combine (AND), also with the cursor. email_verified: (v1.2, console).',
  })
  @ApiOkResponse({ type: UserPageDto })
  async users(@Query() q: AdminUserQueryDto): Promise<UserPageDto> {
    const rows = await this.admin.listUsers({
      q: q.q,
      role: q.role,
      isActive: q.is_active,
      emailVerified: q.email_verified,
      limit: q.limit,
      cursor: q.cursor,
    });
    return toPage(rows, q.limit, UserDto.from);
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(UsersErrors.userNotFound)
  async user(@Param() p: UserIdParam): Promise<UserDto> {
    return UserDto.from(await this.admin.getUser(p.id));
  }

  @Patch('users/:id')
  @ApiOperation({ summary: "Change role / active status, or unlock; disabling revokes all the user's sessions at once" })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(AdminErrors.emptyChange, UsersErrors.userNotFound, AdminErrors.selfModification, AdminErrors.lastAdmin)
  async update(@Actor() actor: Actor, @Param() p: UserIdParam, @Body() dto: UpdateUserDto): Promise<UserDto> {
    return UserDto.from(await this.admin.updateUser(actor, p.id, dto));
  }

  @Get('users/:id/factors')
  @ApiOperation({
    summary: "A user's second factors: TOTP on or off, recovery codes left, passkeys (v1.2, console)",
    description: 'Never secret material: no TOTP secret, no recovery code, no credential id or public key.',
  })
  @ApiOkResponse({ type: UserFactorsDto })
  @ApiProblems(UsersErrors.userNotFound)
  async factors(@Param() p: UserIdParam): Promise<UserFactorsDto> {
    return UserFactorsDto.from(await this.admin.getFactors(p.id));
  }

  @Delete('users/:id/mfa')
  @HttpCode(204)
  @ApiOperation({
    summary: "Remove every second factor and passkey of a user (lost device); revokes the user's sessions (v1.2)",
    description: 'Records mfa.reset_by_admin. The user then signs in with the password (or a provider) alone.',
  })
  @ApiNoContentResponse()
  async resetMfa(@Actor() actor: Actor, @Param() p: UserIdParam): Promise<void> {
    await this.admin.resetMfa(actor, p.id);
  }

  @Delete('users/:id/sessions')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke every session of a user; their access tokens stop working at once' })
  @ApiNoContentResponse()
  @ApiProblems(UsersErrors.userNotFound)
  async revokeUserSessions(@Actor() actor: Actor, @Param() p: UserIdParam): Promise<void> {
    await this.admin.revokeUserSessions(actor, p.id);
  }

  @Get('sessions')
  @ApiOperation({
    summary: 'Sessions of all users, newest first',
    description: 'The filters combine (AND), also with the cursor. auth_method: (v1.2, console).',
  })
  @ApiOkResponse({ type: AdminSessionPageDto })
  async listSessions(@CurrentUser() me: AuthContext, @Query() q: AdminSessionQueryDto): Promise<AdminSessionPageDto> {
    const rows = await this.sessions.list({ userId: q.user_id, active: q.active, authMethod: q.auth_method, limit: q.limit, cursor: q.cursor });
    return toPage(rows, q.limit, (s) => AdminSessionDto.fromAdmin(s, me.sessionId));
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a session; its access tokens stop working at once' })
  @ApiNoContentResponse()
  @ApiProblems(SessionsErrors.sessionNotFound)
  async revokeSession(@Actor() actor: Actor, @Param() p: SessionIdParam): Promise<void> {
    await this.sessions.revokeAny(p.id, actor);
  }

  @Get('audit-logs')
  @ApiOperation({ summary: 'The audit trail, newest first, with every filter' })
  @ApiOkResponse({ type: AuditPageDto })
  auditLogs(@Query() q: AdminAuditQueryDto): Promise<AuditPageDto> {
    return this.audit.page({
      event: q.event,
      actorId: q.actor_id,
      targetUserId: q.target_user_id,
      outcome: q.outcome,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      limit: q.limit,
      cursor: q.cursor,
    });
  }
}
