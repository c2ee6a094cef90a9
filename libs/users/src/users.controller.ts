import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext, Client, type ClientInfo, CurrentUser } from '@app/common';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/profile')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: "The caller's profile" })
  @ApiOkResponse({ type: UserDto })
  async get(@CurrentUser() me: AuthContext): Promise<UserDto> {
    // the profile the access-state check read with the session (one Redis call, no PostgreSQL)
    return (me.profile as UserDto | undefined) ?? UserDto.from(await this.users.getById(me.userId));
  }

  @Put()
  @ApiOperation({ summary: "Update the caller's name (the only writable field; role, email, is_active, email_verified → 400)" })
  @ApiOkResponse({ type: UserDto })
  async update(@CurrentUser() me: AuthContext, @Body() body: UpdateProfileDto, @Client() client: ClientInfo): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(me.userId, body.name, { sessionId: me.sessionId, ...client }));
  }
}
