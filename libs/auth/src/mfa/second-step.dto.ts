import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const noSpaces = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\s/g, '') : value);

/** Exactly one of `code`, `recovery_code`, `webauthn` (checked by the service). */
export class MfaVerifyDto {
  @ApiProperty({ description: 'from the login (or OAuth exchange) answer' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  mfa_token: string;

  @ApiPropertyOptional({ example: '123456', description: 'a TOTP code' })
  @IsOptional()
  @Transform(noSpaces)
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({ example: 'abcd-efgh-jkmn-pqrs', description: 'one of the recovery codes (single use)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'a WebAuthn assertion (AuthenticationResponseJSON) for the options of POST /auth/mfa/webauthn/options',
  })
  @IsOptional()
  @IsObject()
  webauthn?: Record<string, unknown>;
}

/** Exactly one of `password`, `code`, `webauthn`. */
export class ReauthenticateDto {
  @ApiPropertyOptional({ description: 'accepted only for accounts without a second factor' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ example: '123456', description: 'a TOTP code' })
  @IsOptional()
  @Transform(noSpaces)
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'a WebAuthn assertion for the options of POST /auth/passkeys/login/options' })
  @IsOptional()
  @IsObject()
  webauthn?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'with `webauthn`: the challenge_id of those options' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  challenge_id?: string;
}

export class ReauthenticatedDto {
  @ApiProperty({ description: 'for the same session, with a fresh auth_time' }) access_token: string;
  @ApiProperty({ description: 'seconds' }) expires_in: number;
}

export class MfaWebAuthnOptionsDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(128) mfa_token: string;
}

export class PasskeyLoginOptionsDto {
  @ApiPropertyOptional({ description: 'optional: binds the sign-in to this account (the options never list its credentials)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class PasskeyLoginOptionsResultDto {
  @ApiProperty({ description: 'send it back with the assertion; single use, 5 minutes' }) challenge_id: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get()' })
  options: object;
}

export class PasskeyLoginVerifyDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(128) challenge_id: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the AuthenticationResponseJSON (e.g. @simplewebauthn/browser startAuthentication)' })
  @IsObject()
  response: Record<string, unknown>;
}
