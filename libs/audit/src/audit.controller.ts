import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext, CurrentUser, PageQueryDto } from '@app/common';
import { AuditService } from './audit.service';
import { AuditPageDto } from './dto/audit-event.dto';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/audit')
export class UserAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's own security activity (events whose target is the caller), newest first",
    description: "Events where someone else (an admin) acted on the caller omit that actor's session_id, ip and user_agent.",
  })
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentUser() me: AuthContext, @Query() q: PageQueryDto): Promise<AuditPageDto> {
    return this.audit.pageForUser(me.userId, q.limit, q.cursor);
  }
}
