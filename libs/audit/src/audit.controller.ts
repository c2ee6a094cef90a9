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
  @ApiOperation({ summary: "The caller's own security activity (events whose target is the caller), newest first" })
  @ApiOkResponse({ type: AuditPageDto })
  list(@CurrentUser() me: AuthContext, @Query() q: PageQueryDto): Promise<AuditPageDto> {
    return this.audit.page({ targetUserId: me.userId, limit: q.limit, cursor: q.cursor });
  }
}
