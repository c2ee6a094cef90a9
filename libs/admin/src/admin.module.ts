import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { MfaModule } from '@app/mfa';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';

/**
 * The admin API. It composes users, sessions, auth (lockout) and audit: disabling a user must
 * revoke sessions, which the users context cannot do without depending on sessions.
 */
@Module({
  imports: [UsersModule, SessionsModule, AuthModule, AuditModule, MfaModule],
  controllers: [AdminController],
  providers: [AdminService],
  // for the operator CLI (apps/cli), which runs the same changes with a `cli` actor
  exports: [AdminService],
})
export class AdminModule {}
