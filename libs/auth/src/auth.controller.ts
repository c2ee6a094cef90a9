import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  Actor,
  ApiProblems,
  ApiSuccessHeaders,
  type AuthContext,
  Client,
  type ClientInfo,
  CommonErrors,
  CurrentUser,
  MfaEnrolment,
  OptionalAuth,
  Public,
  RecentAuth,
} from '@app/common';
import { SessionsErrors } from '@app/sessions';
import { UserDto, UsersErrors } from '@app/users';
import { AuthCookies } from './auth-cookies';
import { AuthService } from './auth.service';
import { ApiCookieMode, COOKIE_ANSWERS } from './cookie-mode.openapi';
import { ChangePasswordDto, CsrfTokenDto, LoginDto, MfaChallengeDto, RefreshDto, RegisterDto, TokenPairDto } from './dto/auth.dto';
import { AuthErrors } from './errors';
import { RateLimit } from './throttling/rate-limit.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
  ) {}

  @Public()
  @RateLimit('register')
  @Post('register')
  @ApiOperation({ summary: 'Create an account (sends a verification email)' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(UsersErrors.emailTaken)
  async register(@Body() dto: RegisterDto, @Client() client: ClientInfo): Promise<UserDto> {
    return UserDto.from(await this.auth.register(dto, client));
  }

  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  @ApiCookieMode('issued')
  @ApiOperation({ summary: 'Sign in with email and password; creates a session' })
  @ApiExtraModels(TokenPairDto, MfaChallengeDto)
  @ApiOkResponse({
    description: 'the TokenPair, or (v1.2) when the user has a second factor `{mfa_required, mfa_token, methods, expires_in}` for POST /auth/mfa/verify',
    schema: { oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] },
  })
  @ApiProblems(
    [AuthErrors.invalidCredentials, 'the same answer whether or not the email exists'],
    [SessionsErrors.accountDisabled, 'only after a correct password'],
    [AuthErrors.emailNotVerified, 'REQUIRE_EMAIL_VERIFICATION=true, only after a correct password'],
    [AuthErrors.accountLocked, 'LOCKOUT_THRESHOLD failed attempts for this email; for LOCKOUT_DURATION'],
  )
  async login(
    @Body() dto: LoginDto,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TokenPairDto | MfaChallengeDto> {
    return this.cookies.respond(await this.auth.login(dto, client), this.cookies.wantsCookies(req), res);
  }

  @Public()
  @RateLimit('refresh')
  @Post('refresh')
  @HttpCode(200)
  @ApiCookieMode('issued', { csrf: true })
  @ApiOperation({
    summary: 'Rotate the refresh token (body, or the refresh_token cookie + X-CSRF-Token)',
    description:
      'Concurrent use of one token within JWT_REFRESH_GRACE seconds returns the same new refresh token; ' +
      'any older token revokes the session (401 refresh_token_reused).',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(
    [AuthErrors.refreshTokenMissing, 'no refresh_token in the body and no cookie'],
    [SessionsErrors.invalidRefreshToken, 'also: cookie mode without the cookie'],
    SessionsErrors.refreshTokenReused,
    AuthErrors.csrfFailed,
    SessionsErrors.accountDisabled,
  )
  async refresh(
    @Body() dto: RefreshDto,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TokenPairDto> {
    const { token, fromCookie } = this.cookies.presentedRefreshToken(req, dto.refresh_token);
    return this.cookies.respond(await this.auth.refresh(token, client), fromCookie || this.cookies.wantsCookies(req), res);
  }

  @OptionalAuth()
  @Post('logout')
  @MfaEnrolment()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: "Revoke the caller's session; its access token stops working at once",
    description: 'Authenticated by the bearer token, or (cookie mode) by the refresh_token cookie + X-CSRF-Token, or a refresh_token in the body.',
  })
  @ApiBody({ type: RefreshDto, required: false })
  @ApiCookieMode('cleared', { csrf: true })
  @ApiNoContentResponse()
  @ApiProblems(
    [CommonErrors.unauthenticated, 'no bearer token, refresh_token or cookie'],
    [SessionsErrors.invalidRefreshToken, 'the refresh token of the body or cookie'],
    AuthErrors.csrfFailed,
  )
  async logout(
    @CurrentUser() me: AuthContext | undefined,
    @Body() dto: RefreshDto,
    @Client() client: ClientInfo,
    @Actor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    const cookieToken = this.cookies.refreshTokenFrom(req);
    if (me) {
      await this.auth.logout(me, actor);
    } else if (dto.refresh_token) {
      await this.auth.logoutWithRefreshToken(dto.refresh_token, client);
    } else if (cookieToken) {
      this.cookies.assertCsrf(req, cookieToken);
      await this.auth.logoutWithRefreshToken(cookieToken, client);
    } else {
      throw CommonErrors.unauthenticated();
    }
    if (cookieToken || this.cookies.wantsCookies(req)) this.cookies.clear(res);
  }

  @Post('logout-all')
  @MfaEnrolment()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke every session of the caller' })
  @ApiNoContentResponse()
  @ApiSuccessHeaders(COOKIE_ANSWERS.cleared)
  async logoutAll(
    @CurrentUser() me: AuthContext,
    @Actor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    await this.auth.logoutAll(me, actor);
    if (this.cookies.refreshTokenFrom(req)) this.cookies.clear(res);
  }

  @Public()
  @Get('csrf')
  @ApiOperation({
    summary: 'Cookie mode: a fresh CSRF token for the session of the refresh_token cookie (v1.1)',
    description:
      'For apps on another origin, which cannot read the csrf_token cookie: call it after a page reload, before refresh. ' +
      'Sets the matching csrf_token cookie and the X-CSRF-Token header too. CORS-restricted like every route.',
  })
  @ApiOkResponse({ type: CsrfTokenDto })
  @ApiSuccessHeaders(COOKIE_ANSWERS.csrf)
  @ApiProblems([SessionsErrors.invalidRefreshToken, 'no refresh_token cookie came with the request'])
  csrf(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): CsrfTokenDto {
    res.header('Cache-Control', 'no-store');
    return { csrf_token: this.cookies.reissueCsrf(req, res) };
  }

  @Get('me')
  @MfaEnrolment()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentUser() me: AuthContext): Promise<UserDto> {
    // the profile the access-state check read with the session (one Redis call, no PostgreSQL)
    return (me.profile as UserDto | undefined) ?? UserDto.from(await this.auth.me(me));
  }

  @Post('password/change')
  @RecentAuth()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the password; revokes every other session of the user' })
  @ApiNoContentResponse()
  @ApiProblems(AuthErrors.invalidCurrentPassword)
  async changePassword(@CurrentUser() me: AuthContext, @Body() dto: ChangePasswordDto, @Actor() actor: Actor): Promise<void> {
    await this.auth.changePassword(me, dto, actor);
  }
}
