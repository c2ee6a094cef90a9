import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConsumes, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AcceptsForm, ApiProblems, Client, type ClientInfo, isFormBody, Public } from '@app/common';
import { RateLimit } from '@app/auth';
import { UserDto } from '@app/users';
import { confirmationPage, confirmationPageCsp } from './confirmation-page';
import { EmailOnlyDto, VerifyEmailDto, VerifyEmailQueryDto } from './email-verification.dto';
import { EmailVerificationService } from './email-verification.service';
import { EmailVerificationErrors } from './errors';

@ApiTags('auth')
@Public()
@Controller('auth/verify-email')
export class EmailVerificationController {
  private readonly csp: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verification: EmailVerificationService,
  ) {
    this.csp = confirmationPageCsp(config.app.frontendUrl);
  }

  @Post()
  @HttpCode(200)
  @RateLimit('email')
  @ApiOperation({
    summary: 'Verify an email address with the token from the mail (single use, EMAIL_VERIFICATION_TTL)',
    description:
      'JSON `{token}` → 200 User (for apps that handle the link themselves). Form-encoded `token` (the button of the page the ' +
      'mailed link opens) → 302 to `FRONTEND_URL/verify-email?status=success|error`.',
  })
  @AcceptsForm()
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({ type: UserDto })
  @ApiFoundResponse({ description: 'form post: Location FRONTEND_URL/verify-email?status=success|error' })
  @ApiProblems([EmailVerificationErrors.invalidLink, 'JSON body; a form post is redirected with status=error'])
  async verify(@Body() dto: VerifyEmailDto, @Client() client: ClientInfo, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    if (isFormBody(req)) {
      const verified = await this.verification.verifyLink(dto.token, client);
      res.redirect(`${this.config.app.frontendUrl}/verify-email?status=${verified ? 'success' : 'error'}`, 302);
      return;
    }
    res.status(200).send(UserDto.from(await this.verification.verify(dto.token, client)));
  }

  @Get()
  @ApiOperation({
    summary: 'The link in the mail: a confirmation page whose button POSTs the token (a GET never changes anything)',
    description: 'Self-contained HTML (no script, no external resources, strict CSP). Mail scanners that prefetch the link verify nothing.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'text/html confirmation page' })
  @ApiFoundResponse({ description: 'no token: Location FRONTEND_URL/verify-email?status=error' })
  page(@Query() q: VerifyEmailQueryDto, @Res() res: FastifyReply): void {
    if (!q.token) {
      res.redirect(`${this.config.app.frontendUrl}/verify-email?status=error`, 302);
      return;
    }
    res
      .status(200)
      .headers({ 'Content-Security-Policy': this.csp, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .type('text/html; charset=utf-8')
      .send(confirmationPage(q.token));
  }

  @Post('resend')
  @HttpCode(202)
  @RateLimit('email')
  @ApiOperation({ summary: 'Send the verification mail again (same answer whether or not the email exists or is verified)' })
  @ApiAcceptedResponse()
  async resend(@Body() dto: EmailOnlyDto, @Client() client: ClientInfo): Promise<void> {
    await this.verification.resend(dto.email, client);
  }
}
