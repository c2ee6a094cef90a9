import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { ROLES, type Role } from '@app/common';
import { User } from '../user.rows';

/** The public shape of a user (API.md "User"). A password hash never leaves the server. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) name: string | null;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty() email_verified: boolean;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_signin_at: string | null;
  @ApiProperty({ description: 'a second factor (TOTP or a passkey) is enrolled: password and OAuth sign-ins end with mfa_required (v1.2)' })
  mfa_enabled: boolean;
  @ApiProperty({ description: 'the account has a password (false for accounts created by OAuth) (v1.2)' }) has_password: boolean;

  static from(user: User): UserDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      email_verified: user.emailVerifiedAt !== null,
      is_active: user.isActive,
      created_at: user.createdAt.toISOString(),
      updated_at: user.updatedAt.toISOString(),
      last_signin_at: user.lastSigninAt ? user.lastSigninAt.toISOString() : null,
      mfa_enabled: user.mfaEnabled,
      has_password: user.passwordHash !== null,
    };
  }
}

/** The `{id}` of a route about one user (the admin API, in whichever lib owns the route). */
export class UserIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}
