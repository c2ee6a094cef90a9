import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, type AuthContext, CurrentUser, RecentAuth } from '@app/common';
import { IdentityDto, IdentityListDto } from './dto/identity.dto';
import { IdentitiesService } from './identities.service';
import { OAuthErrors } from './oauth-errors';
import { OAUTH_PROVIDERS } from './oauth-provider';

@ApiTags('users', 'oauth')
@ApiBearerAuth()
@Controller('users/identities')
export class IdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @Get()
  @ApiOperation({ summary: "The caller's linked provider accounts, newest first" })
  @ApiOkResponse({ type: IdentityListDto })
  async list(@CurrentUser() me: AuthContext): Promise<IdentityListDto> {
    return { items: (await this.identities.list(me.userId)).map(IdentityDto.from) };
  }

  @Delete(':provider')
  @RecentAuth()
  @HttpCode(204)
  @ApiParam({ name: 'provider', enum: OAUTH_PROVIDERS })
  @ApiOperation({ summary: 'Unlink a provider account from the caller' })
  @ApiNoContentResponse()
  @ApiProblems(
    [OAuthErrors.identityNotFound, 'no account of this provider is linked, or an unknown provider'],
    [OAuthErrors.lastLoginMethod, 'the caller has no password and no other enabled provider linked'],
  )
  async unlink(@CurrentUser() me: AuthContext, @Param('provider') provider: string, @Actor() actor: Actor): Promise<void> {
    await this.identities.unlink(me, provider, actor);
  }
}
