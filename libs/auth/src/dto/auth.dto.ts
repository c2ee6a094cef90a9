import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEmailAddress, IsLoginEmail, IsPlainText } from '@app/common';
import { UserDto } from '@app/users';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  email: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    description:
      'policy (NIST SP 800-63B): 8–128 characters after NFKC, any Unicode; refused when the strength estimate (email and name as ' +
      'easy guesses) is below PASSWORD_MIN_SCORE or, with PWNED_PASSWORDS_URL, when it appears in a known breach — 400 validation_failed ' +
      'with one message per reason',
  })
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() || null : value))
  @IsString()
  @MaxLength(100)
  @IsPlainText()
  name?: string | null;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @IsLoginEmail()
  email: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'required unless the refresh_token cookie is used (cookie mode)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refresh_token?: string;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(1024) current_password: string;
  @ApiProperty({ description: 'must satisfy the password policy (see register)' }) @IsString() @MaxLength(1024) new_password: string;
}

/** API.md "TokenPair". In cookie mode `refresh_token` is absent (it travels as an HttpOnly cookie). */
export class TokenPairDto {
  @ApiProperty() access_token: string;
  @ApiPropertyOptional({ description: 'absent in cookie mode' }) refresh_token?: string;
  @ApiProperty({ enum: ['bearer'] }) token_type: 'bearer';
  @ApiProperty({ description: 'seconds' }) expires_in: number;
  @ApiProperty({ description: 'seconds' }) refresh_expires_in: number;
  @ApiProperty({ format: 'uuid' }) session_id: string;
  @ApiProperty({ type: UserDto }) user: UserDto;
}

export class CsrfTokenDto {
  @ApiProperty({ description: 'echo it in X-CSRF-Token on cookie-mode refresh and logout' })
  csrf_token: string;
}

/** API.md v1.2: the answer of a sign-in whose user has a second factor, instead of a TokenPair. */
export class MfaChallengeDto {
  @ApiProperty({ enum: [true] }) mfa_required: true;
  @ApiProperty({ description: 'for POST /auth/mfa/verify: single use, 5 minutes, dead after 5 wrong codes' }) mfa_token: string;
  @ApiProperty({ enum: ['totp', 'recovery_code', 'webauthn'], isArray: true, description: 'the ways this user can finish' }) methods: string[];
  @ApiProperty({ example: 300, description: 'seconds' }) expires_in: number;
}
