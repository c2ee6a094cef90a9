import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, ApiProblems, type AuthContext, Client, type ClientInfo, CurrentUser, MfaEnrolment, Public } from '@app/common';
import { MfaErrors } from '@app/mfa';
import { SessionsErrors } from '@app/sessions';
import { ApiCookieMode } from '../cookie-mode.openapi';
import { AuthErrors } from '../errors';
import { AuthCookies } from '../auth-cookies';
import { TokenPairDto } from '../dto/auth.dto';
import { RateLimit } from '../throttling/rate-limit.decorator';
import {
  MfaVerifyDto,
  MfaWebAuthnOptionsDto,
  PasskeyLoginOptionsDto,
  PasskeyLoginOptionsResultDto,
  PasskeyLoginVerifyDto,
  ReauthenticateDto,
  ReauthenticatedDto,
} from './second-step.dto';
import { SecondStepService } from './second-step.service';

/** The second step of a sign-in, and step-up for sensitive actions (API.md v1.2). */
@ApiTags('mfa')
@Controller('auth')
export class SecondStepController {
  constructor(
    private readonly secondStep: SecondStepService,
    private readonly cookies: AuthCookies,
  ) {}

  @Public()
  @RateLimit('login')
  @Post('mfa/verify')
  @HttpCode(200)
  @ApiCookieMode('issued')
  @ApiOperation({
    summary: 'Finish a sign-in with a TOTP code, a recovery code or a passkey assertion',
    description:
      'Give exactly one of `code`, `recovery_code`, `webauthn` with the `mfa_token` of the login or OAuth exchange answer. ' +
      'A wrong answer counts toward the account lockout; the token dies after 5 wrong answers, after use and after 5 minutes.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(
    [MfaErrors.invalidCode, 'wrong, reused or expired code, or a passkey assertion that did not verify; counts toward the lockout'],
    [MfaErrors.invalidMfaToken, 'unknown, used, expired, or dead after 5 wrong answers'],
    [SessionsErrors.accountDisabled, 'disabled meanwhile'],
    [AuthErrors.accountLocked, 'too many wrong answers (and passwords) for this account'],
    [MfaErrors.storeUnavailable, 'the store of pending sign-ins (Redis) is down'],
  )
  async verify(
    @Body() dto: MfaVerifyDto,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TokenPairDto> {
    return this.cookies.respond(await this.secondStep.verify(dto, client), this.cookies.wantsCookies(req), res);
  }

  @RateLimit('login')
  @Post('reauthenticate')
  @HttpCode(200)
  @MfaEnrolment()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Prove the user again: a fresh access token for the same session, with a fresh auth_time',
    description:
      'Give exactly one of `password`, `code` (TOTP), `webauthn`. An account with a second factor reauthenticates with that factor (a password alone: 400). ' +
      'Sensitive actions (password change, factors, passkeys, identity link/unlink) need auth_time within REAUTH_WINDOW seconds, else 403 reauth_required. ' +
      'Wrong answers count toward the account lockout.',
  })
  @ApiOkResponse({ type: ReauthenticatedDto })
  @ApiProblems(
    [AuthErrors.invalidCredentials, 'wrong password'],
    [MfaErrors.invalidCode, 'wrong code or passkey assertion'],
    [AuthErrors.accountLocked, 'too many wrong answers for this account'],
  )
  async reauthenticate(@CurrentUser() me: AuthContext, @Body() dto: ReauthenticateDto, @Actor() actor: Actor): Promise<ReauthenticatedDto> {
    return this.secondStep.reauthenticate(me, dto, actor);
  }

  @Public()
  @RateLimit('login')
  @Post('mfa/webauthn/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Request options for a passkey as the second factor of a pending sign-in',
    description: 'Lists the user’s passkeys; the assertion then goes to POST /auth/mfa/verify as `webauthn` with the same mfa_token.',
  })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true, description: 'PublicKeyCredentialRequestOptionsJSON' } })
  @ApiProblems(MfaErrors.invalidMfaToken, MfaErrors.storeUnavailable)
  webauthnOptions(@Body() dto: MfaWebAuthnOptionsDto): Promise<object> {
    return this.secondStep.webauthnOptionsForMfa(dto.mfa_token);
  }

  @Public()
  @RateLimit('login')
  @Post('passkeys/login/options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Options for a passwordless sign-in with a passkey (discoverable credentials)',
    description:
      'Without `email` any passkey of this site may answer; with it, only that account’s (its credentials are never listed, so the answer is the same whether or not it exists). ' +
      'The same options (and challenge_id) serve POST /auth/reauthenticate with `webauthn`.',
  })
  @ApiOkResponse({ type: PasskeyLoginOptionsResultDto })
  @ApiProblems(MfaErrors.storeUnavailable)
  passkeyLoginOptions(@Body() dto: PasskeyLoginOptionsDto): Promise<PasskeyLoginOptionsResultDto> {
    return this.secondStep.passkeyLoginOptions(dto.email);
  }

  @Public()
  @RateLimit('login')
  @Post('passkeys/login/verify')
  @HttpCode(200)
  @ApiCookieMode('issued')
  @ApiOperation({
    summary: 'Passwordless sign-in with a passkey assertion: a TokenPair (auth_method passkey, amr hwk or swk)',
    description: 'User verification is required. No second step follows: a passkey with user verification is already two factors.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(
    [MfaErrors.invalidCode, 'the assertion did not verify (unknown credential, signature, origin, challenge used or expired, counter)'],
    SessionsErrors.accountDisabled,
    [AuthErrors.emailNotVerified, 'REQUIRE_EMAIL_VERIFICATION=true'],
    MfaErrors.storeUnavailable,
  )
  async passkeyLogin(
    @Body() dto: PasskeyLoginVerifyDto,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TokenPairDto> {
    return this.cookies.respond(await this.secondStep.passkeyLogin(dto, client), this.cookies.wantsCookies(req), res);
  }
}
