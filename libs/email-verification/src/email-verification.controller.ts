import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Client, type ClientInfo, Public } from '@app/common';
import { RateLimit } from '@app/auth';
import { UserDto } from '@app/users';
import { EmailOnlyDto, VerifyEmailDto, VerifyEmailQueryDto } from './email-verification.dto';
import { EmailVerificationService } from './email-verification.service';

@ApiTags('auth')
@Public()
@Controller('auth/verify-email')
export class EmailVerificationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verification: EmailVerificationService,
  ) {}

  @Post()
  @HttpCode(200)
  @RateLimit('email')
  @ApiOperation({ summary: 'Verify an email address with the token from the mail (single use, EMAIL_VERIFICATION_TTL)' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'invalid_token: bad, expired or used token' })
  async verify(@Body() dto: VerifyEmailDto, @Client() client: ClientInfo): Promise<UserDto> {
    return UserDto.from(await this.verification.verify(dto.token, client));
  }

  @Get()
  @RateLimit('email')
  @ApiOperation({ summary: 'The link in the mail: verifies, then redirects to FRONTEND_URL/verify-email?status=success|error' })
  @ApiFoundResponse({ description: 'redirect to the front end' })
  async follow(@Query() q: VerifyEmailQueryDto, @Client() client: ClientInfo, @Res() res: Response): Promise<void> {
    const verified = await this.verification.verifyLink(q.token, client);
    res.redirect(302, `${this.config.app.frontendUrl}/verify-email?status=${verified ? 'success' : 'error'}`);
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
