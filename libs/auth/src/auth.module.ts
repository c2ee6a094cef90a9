import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { MfaModule } from '@app/mfa';
import { KeysModule } from '@app/keys';
import { AuthCookies } from './auth-cookies';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { JwtStrategy } from './guards/jwt.strategy';
import { RolesGuard } from './guards/roles.guard';
import { LockoutRepository } from './lockout/lockout.repository';
import { LockoutService } from './lockout/lockout.service';
import { BreachedPasswords } from './passwords/breached-passwords';
import { PasswordHasher } from './passwords/password-hasher';
import { PasswordPolicy } from './passwords/password-policy';
import { AppThrottlerGuard } from './throttling/app-throttler.guard';
import { ThrottlingModule } from './throttling/throttling.module';
import { AccessTokenService } from './tokens/access-token.service';
import { SecondStepController } from './mfa/second-step.controller';
import { SecondStepService } from './mfa/second-step.service';

/**
 * Sign-up, sign-in and the security defaults of every route: the global guards run in this
 * order — throttling, access token (JwtAuthGuard, opt out with @Public), roles (@Roles).
 */
@Module({
  imports: [PassportModule, ThrottlingModule, UsersModule, SessionsModule, MfaModule, KeysModule],
  controllers: [AuthController, SecondStepController],
  providers: [
    { provide: APP_GUARD, useClass: AppThrottlerGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    AuthService,
    SecondStepService,
    AuthCookies,
    AccessTokenService,
    JwtStrategy,
    PasswordHasher,
    PasswordPolicy,
    BreachedPasswords,
    LockoutRepository,
    LockoutService,
    BootstrapAdminService,
  ],
  exports: [AuthService, AuthCookies, PasswordHasher, PasswordPolicy, BreachedPasswords, LockoutService, AccessTokenService],
})
export class AuthModule {}
