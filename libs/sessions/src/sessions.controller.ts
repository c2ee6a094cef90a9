import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, type AuthContext, CurrentUser, PageQueryDto, toPage } from '@app/common';
import { SessionDto, SessionIdParam, SessionPageDto } from './dto/session.dto';
import { SessionsErrors } from './errors';
import { SessionsService } from './sessions.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's live sessions, newest first" })
  @ApiOkResponse({ type: SessionPageDto })
  async list(@CurrentUser() me: AuthContext, @Query() q: PageQueryDto): Promise<SessionPageDto> {
    const rows = await this.sessions.listForUser(me.userId, q.limit, q.cursor);
    return toPage(rows, q.limit, (s) => SessionDto.from(s, me.sessionId));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the caller's sessions (another user's id → 404)" })
  @ApiNoContentResponse()
  @ApiProblems([SessionsErrors.sessionNotFound, 'also for a session of another user'])
  async revoke(@CurrentUser() me: AuthContext, @Param() p: SessionIdParam, @Actor() actor: Actor): Promise<void> {
    await this.sessions.revokeOwn(me.userId, p.id, 'user_revoked', actor);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke all the caller's sessions except the current one" })
  @ApiNoContentResponse()
  async revokeOthers(@CurrentUser() me: AuthContext, @Actor() actor: Actor): Promise<void> {
    await this.sessions.revokeAllForUser(me.userId, 'user_revoked_others', actor, { exceptId: me.sessionId });
  }
}
