import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Client, type ClientInfo, Public } from '@app/common';
import { RateLimit } from '@app/auth';
import { EmailOnlyDto } from '@app/email-verification';
import { CompletePasswordResetDto } from './password-reset.dto';
import { PasswordResetErrors } from './errors';
import { PasswordResetService } from './password-reset.service';

@ApiTags('auth')
@Public()
@Controller('auth/password-reset')
export class PasswordResetController {
  constructor(private readonly reset: PasswordResetService) {}

  @Post()
  @HttpCode(202)
  @RateLimit('email')
  @ApiOperation({ summary: 'Mail a reset link (same answer and similar timing whether or not the email exists)' })
  @ApiAcceptedResponse()
  async request(@Body() dto: EmailOnlyDto, @Client() client: ClientInfo): Promise<void> {
    await this.reset.request(dto.email, client);
  }

  @Post('complete')
  @HttpCode(204)
  @RateLimit('email')
  @ApiOperation({ summary: 'Set a new password with the mailed token (single use, PASSWORD_RESET_TTL); revokes every session' })
  @ApiNoContentResponse()
  @ApiProblems(PasswordResetErrors.invalidLink)
  async complete(@Body() dto: CompletePasswordResetDto, @Client() client: ClientInfo): Promise<void> {
    await this.reset.complete(dto.token, dto.password, client);
  }
}
