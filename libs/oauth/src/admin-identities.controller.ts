import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Roles } from '@app/common';
import { UserIdParam, UsersErrors } from '@app/users';
import { IdentityDto, IdentityListDto } from './dto/identity.dto';
import { IdentitiesService } from './identities.service';

/**
 * A user's linked provider accounts for the admin API (the web console). It lives here, beside the
 * identities it reads, as the webhook and signing-key admin routes live in their own libs: admin
 * need not depend on oauth for one listing.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/users/:id/identities')
export class AdminIdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @Get()
  @ApiOperation({ summary: "A user's linked provider accounts, newest first (v1.2, console)", description: 'The items of GET /users/identities.' })
  @ApiOkResponse({ type: IdentityListDto })
  @ApiProblems(UsersErrors.userNotFound)
  async list(@Param() p: UserIdParam): Promise<IdentityListDto> {
    return { items: (await this.identities.listOf(p.id)).map(IdentityDto.from) };
  }
}
