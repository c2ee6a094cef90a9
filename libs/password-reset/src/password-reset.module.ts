import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { EmailModule } from '@app/email';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetService } from './password-reset.service';

@Module({
  imports: [UsersModule, SessionsModule, AuthModule, EmailModule],
  controllers: [PasswordResetController],
  providers: [PasswordResetService],
  // for the operator CLI (apps/cli): reset links handed over instead of mailed
  exports: [PasswordResetService],
})
export class PasswordResetModule {}
