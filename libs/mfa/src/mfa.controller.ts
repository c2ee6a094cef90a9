import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, type AuthContext, CurrentUser, MfaEnrolment, RecentAuth } from '@app/common';
import { UsersErrors, UsersRepository } from '@app/users';
import { RecoveryCodesDto, TotpCodeDto, TotpSetupDto } from './dto/mfa.dto';
import { MfaService } from './mfa.service';
import { MfaErrors } from './errors';

const RECENT = 'Needs a recent sign-in (within REAUTH_WINDOW, else 403 reauth_required).';

/** Enrolment of the caller's TOTP and recovery codes (API.md "Multi-factor and passkeys (v1.2)"). */
@ApiTags('mfa')
@ApiBearerAuth()
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly users: UsersRepository,
  ) {}

  @Post('totp/setup')
  @HttpCode(200)
  @RecentAuth()
  @MfaEnrolment()
  @ApiOperation({
    summary: 'Start TOTP enrolment: a secret, its otpauth URI and QR code',
    description: `Pending until confirmed; a new setup replaces a pending one. ${RECENT}`,
  })
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiProblems(UsersErrors.userNotFound)
  async setup(@CurrentUser() me: AuthContext): Promise<TotpSetupDto> {
    const user = await this.users.findById(me.userId);
    if (!user) throw UsersErrors.userNotFound();
    return this.mfa.setupTotp(user);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @RecentAuth()
  @MfaEnrolment()
  @ApiOperation({ summary: 'Activate TOTP with a code from the app; returns 10 recovery codes', description: `Records mfa.enabled. ${RECENT}` })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(
    [MfaErrors.invalidCode, 'the code does not match the pending secret'],
    [MfaErrors.noPendingTotp, 'no setup is pending (or it is older than 15 minutes)'],
  )
  async confirm(@CurrentUser() me: AuthContext, @Body() dto: TotpCodeDto, @Actor() actor: Actor): Promise<RecoveryCodesDto> {
    return { recovery_codes: await this.mfa.confirmTotp(me.userId, dto.code, actor) };
  }

  @Delete('totp')
  @HttpCode(204)
  @RecentAuth()
  @ApiOperation({ summary: 'Remove TOTP', description: `Records mfa.disabled; recovery codes die with the last factor. ${RECENT}` })
  @ApiNoContentResponse()
  @ApiProblems(MfaErrors.totpNotEnabled)
  async disable(@CurrentUser() me: AuthContext, @Actor() actor: Actor): Promise<void> {
    await this.mfa.disableTotp(me.userId, actor);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @RecentAuth()
  @ApiOperation({ summary: 'A new set of 10 recovery codes; the old set dies', description: RECENT })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(MfaErrors.noFactor)
  async regenerate(@CurrentUser() me: AuthContext, @Actor() actor: Actor): Promise<RecoveryCodesDto> {
    return { recovery_codes: await this.mfa.regenerateRecoveryCodes(me.userId, actor) };
  }
}
