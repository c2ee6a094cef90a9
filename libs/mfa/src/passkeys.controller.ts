import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Actor, ApiProblems, type AuthContext, CurrentUser, decodeCursor, MfaEnrolment, PageQueryDto, RecentAuth, toPage } from '@app/common';
import { UsersErrors, UsersRepository } from '@app/users';
import { PasskeyDto, PasskeyIdParam, PasskeyPageDto, RegisterPasskeyDto, RenamePasskeyDto } from './dto/passkey.dto';
import { PasskeysService } from './passkeys/passkeys.service';
import { MfaErrors } from './errors';

const RECENT = 'Needs a recent sign-in (within REAUTH_WINDOW, else 403 reauth_required).';

/** The caller's passkeys: registration, listing, renaming, removal (API.md v1.2). */
@ApiTags('passkeys')
@ApiBearerAuth()
@Controller()
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly users: UsersRepository,
  ) {}

  @Post('auth/passkeys/register/options')
  @HttpCode(200)
  @RecentAuth()
  @MfaEnrolment()
  @ApiOperation({
    summary: 'Creation options for a new passkey (resident key preferred, user verification required)',
    description: `Pass them to navigator.credentials.create() (e.g. @simplewebauthn/browser startRegistration); valid 5 minutes, once. ${RECENT}`,
  })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true, description: 'PublicKeyCredentialCreationOptionsJSON' } })
  @ApiProblems(MfaErrors.storeUnavailable)
  async registrationOptions(@CurrentUser() me: AuthContext): Promise<object> {
    const user = await this.users.findById(me.userId);
    if (!user) throw UsersErrors.userNotFound();
    return this.passkeys.registrationOptions(user);
  }

  @Post('auth/passkeys/register/verify')
  @HttpCode(201)
  @RecentAuth()
  @MfaEnrolment()
  @ApiOperation({ summary: 'Register the passkey the browser created', description: `Records passkey.added. ${RECENT}` })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiProblems(
    [
      MfaErrors.registrationRefused,
      'no registration pending (options expire after 5 minutes, work once), or it did not verify (origin, RP ID, user verification, challenge)',
    ],
    MfaErrors.storeUnavailable,
  )
  async register(@CurrentUser() me: AuthContext, @Body() dto: RegisterPasskeyDto, @Actor() actor: Actor): Promise<PasskeyDto> {
    return PasskeyDto.from(await this.passkeys.register(me.userId, dto.response as unknown as RegistrationResponseJSON, dto.name, actor));
  }

  @Get('users/passkeys')
  @ApiOperation({ summary: "The caller's passkeys, newest first" })
  @ApiOkResponse({ type: PasskeyPageDto })
  async list(@CurrentUser() me: AuthContext, @Query() q: PageQueryDto): Promise<PasskeyPageDto> {
    const rows = await this.passkeys.page(me.userId, { limit: q.limit, cursor: q.cursor ? decodeCursor(q.cursor) : undefined });
    return toPage(rows, q.limit, PasskeyDto.from);
  }

  @Patch('users/passkeys/:id')
  @ApiOperation({ summary: 'Rename one of the caller’s passkeys' })
  @ApiOkResponse({ type: PasskeyDto })
  @ApiProblems([MfaErrors.passkeyNotFound, 'also for another user’s passkey'])
  async rename(@CurrentUser() me: AuthContext, @Param() p: PasskeyIdParam, @Body() dto: RenamePasskeyDto): Promise<PasskeyDto> {
    return PasskeyDto.from(await this.passkeys.rename(me.userId, p.id, dto.name));
  }

  @Delete('users/passkeys/:id')
  @HttpCode(204)
  @RecentAuth()
  @ApiOperation({ summary: 'Remove one of the caller’s passkeys', description: `Records passkey.removed. ${RECENT}` })
  @ApiNoContentResponse()
  @ApiProblems(
    [MfaErrors.passkeyNotFound, 'also for another user’s passkey'],
    [MfaErrors.lastLoginMethod, 'no password, no other passkey and no linked provider would be left'],
  )
  async remove(@CurrentUser() me: AuthContext, @Param() p: PasskeyIdParam, @Actor() actor: Actor): Promise<void> {
    await this.passkeys.remove(me.userId, p.id, actor);
  }
}
