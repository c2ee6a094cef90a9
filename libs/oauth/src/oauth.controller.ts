import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems, type AuthContext, Client, type ClientInfo, CurrentUser, ProblemException, Public, RecentAuth } from '@app/common';
import { ApiCookieMode, AuthCookies, MfaChallengeDto, TokenPairDto } from '@app/auth';
import { SessionsErrors } from '@app/sessions';
import { AuthorizeUrlDto, ExchangeCodeDto, InitiateQueryDto, LinkProviderDto, OAuthProviderListDto } from './dto/oauth.dto';
import { FlowCookie } from './flow/flow-cookie';
import { describeCallbackErrors, OAuthErrors } from './oauth-errors';
import { OAUTH_PROVIDERS } from './oauth-provider';
import { OAuthService } from './oauth.service';

const PROVIDER_PARAM = { name: 'provider', enum: OAUTH_PROVIDERS, description: 'a configured provider; anything else → 404 not_found' };
const STORE_DOWN = 'the state store (Redis) is down';

type Redirection = { url: string; statusCode: number };

@ApiTags('oauth')
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly cookies: AuthCookies,
    private readonly flowCookie: FlowCookie,
  ) {}

  @Public()
  @Get('providers')
  @ApiOperation({ summary: 'The configured social sign-in providers (client id and secret set)' })
  @ApiOkResponse({ type: OAuthProviderListDto })
  providers(): OAuthProviderListDto {
    return { items: this.oauth.listProviders().map((p) => ({ name: p.name, initiate_url: p.initiateUrl })) };
  }

  @Public()
  @Get(':provider/initiate')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiParam(PROVIDER_PARAM)
  @ApiOperation({
    summary: 'Start a sign-in (or a link, with link_ticket): 302 to the provider',
    description:
      'The authorize URL carries a random single-use `state` (kept server-side for 10 minutes) and, S256, a PKCE `code_challenge`. ' +
      'Sets the `oauth_flow` cookie (HttpOnly, SameSite=Lax, Path=/api/v1/oauth, 10 minutes) that binds the flow to this browser: ' +
      'the callback fails `invalid_state` without it. With `link_ticket` (from POST /oauth/{provider}/link) it starts that link; ' +
      'an unknown, used or expired ticket redirects to `FRONTEND_URL/oauth/callback?error=invalid_state`.',
  })
  @ApiFoundResponse({ description: "Location: the provider's authorize URL" })
  @ApiProblems([OAuthErrors.unknownProvider, 'unknown or unconfigured provider'], [ProblemException.unavailable, STORE_DOWN])
  async initiate(
    @Param('provider') provider: string,
    @Query() query: InitiateQueryDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Redirection> {
    if (query.link_ticket !== undefined && query.redirect_to !== undefined) {
      throw ProblemException.validation([{ field: 'redirect_to', message: 'must not be given with link_ticket (the link carries its own)' }]);
    }
    const nonce = this.flowCookie.issue(req, res);
    const url = query.link_ticket
      ? await this.oauth.initiateLink(provider, query.link_ticket, nonce)
      : await this.oauth.initiate(provider, query.redirect_to, nonce);
    return { url, statusCode: 302 };
  }

  @Public()
  @Get(':provider/callback')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiParam(PROVIDER_PARAM)
  @ApiQuery({ name: 'code', required: false, description: 'authorization code from the provider' })
  @ApiQuery({ name: 'state', required: false, description: 'the state handle sent at initiate' })
  @ApiQuery({ name: 'error', required: false, description: 'set by the provider on failure (e.g. access_denied)' })
  @ApiOperation({
    summary: 'Where the provider sends the browser back: 302 to FRONTEND_URL/oauth/callback',
    description:
      'Needs the `oauth_flow` cookie set by initiate in this browser (else `invalid_state`, nothing created). ' +
      'Success (sign-in): `?code=<one-time code>` (+ `&redirect_to=<path>`), to be redeemed with POST /oauth/exchange within 60 s. ' +
      'Success (link flow): `?linked=<provider>` (+ `&redirect_to`). ' +
      `Failure: \`?error=<code>\` and nothing is created — ${describeCallbackErrors()}. No token ever appears in a URL.`,
  })
  @ApiFoundResponse({ description: 'Location: FRONTEND_URL/oauth/callback?code=… | ?linked=… | ?error=…' })
  @ApiProblems([OAuthErrors.unknownProvider, 'unknown or unconfigured provider'])
  async callback(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
  ): Promise<Redirection> {
    // read by name rather than through a strict DTO: providers add parameters of their own
    // (Google: scope, authuser, prompt, hd, iss), and a callback must never answer a browser with 400
    const pick = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const params = { code: pick('code'), state: pick('state'), error: pick('error') };
    const url = await this.oauth.callback(provider, params, client, this.flowCookie.read(req));
    return { url, statusCode: 302 };
  }

  @Public()
  @Post('exchange')
  @HttpCode(200)
  @ApiCookieMode('issued')
  @ApiOperation({ summary: 'Redeem the one-time code of a finished OAuth sign-in for a session (auth_method google/github)' })
  @ApiExtraModels(TokenPairDto, MfaChallengeDto)
  @ApiOkResponse({
    description: 'the TokenPair, or (v1.2) when the user has a second factor `{mfa_required, mfa_token, methods, expires_in}` for POST /auth/mfa/verify',
    schema: { oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] },
  })
  @ApiProblems([OAuthErrors.invalidExchangeCode, 'unknown, expired (60 s) or already used'], SessionsErrors.accountDisabled, [
    ProblemException.unavailable,
    STORE_DOWN,
  ])
  async exchange(
    @Body() dto: ExchangeCodeDto,
    @Client() client: ClientInfo,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TokenPairDto | MfaChallengeDto> {
    return this.cookies.respond(await this.oauth.exchange(dto.code, client), this.cookies.wantsCookies(req), res);
  }

  @Post(':provider/link')
  @RecentAuth()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiParam(PROVIDER_PARAM)
  @ApiOperation({
    summary: "Start linking a provider account to the caller (the caller's email must be verified)",
    description:
      "Open `authorize_url` (this API's initiate URL with a single-use, 5-minute link ticket) in the user's browser; the callback then links that provider account to the caller and redirects to " +
      '`FRONTEND_URL/oauth/callback?linked=<provider>`, or `?error=identity_in_use` (the account belongs to another user) / ' +
      '`?error=provider_already_linked`, with nothing changed.',
  })
  @ApiOkResponse({ type: AuthorizeUrlDto })
  @ApiProblems(
    OAuthErrors.emailNotVerifiedForLink,
    [OAuthErrors.unknownProvider, 'unknown or unconfigured provider'],
    OAuthErrors.providerAlreadyLinked('google'),
    [ProblemException.unavailable, STORE_DOWN],
  )
  async link(@CurrentUser() me: AuthContext, @Param('provider') provider: string, @Body() dto: LinkProviderDto): Promise<AuthorizeUrlDto> {
    return { authorize_url: await this.oauth.startLink(me, provider, dto.redirect_to) };
  }

  /** Cookie mode exactly as POST /auth/login answers it. */
}
