import { Module } from '@nestjs/common';
import { EmailModule } from '@app/email';
import { UsersModule } from '@app/users';
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerificationService } from './email-verification.service';

@Module({
  imports: [UsersModule, EmailModule],
  controllers: [EmailVerificationController],
  providers: [EmailVerificationService],
})
export class EmailVerificationModule {}
