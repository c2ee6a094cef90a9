import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsPlainText } from '@app/common';
import type { Passkey } from '../passkeys/passkeys.repository';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** API.md "Passkey". */
export class PasskeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Passkey' }) name: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_used_at: string | null;
  @ApiProperty({ enum: ['singleDevice', 'multiDevice'], description: 'multiDevice: may be synced between devices' }) device_type: string;
  @ApiProperty({ description: 'synced (backed up) at its last use' }) backed_up: boolean;

  static from(p: Passkey): PasskeyDto {
    return {
      id: p.id,
      name: p.name,
      created_at: p.createdAt.toISOString(),
      last_used_at: p.lastUsedAt ? p.lastUsedAt.toISOString() : null,
      device_type: p.deviceType,
      backed_up: p.backedUp,
    };
  }
}

export class PasskeyPageDto {
  @ApiProperty({ type: [PasskeyDto] }) items: PasskeyDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class RegisterPasskeyDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the RegistrationResponseJSON of navigator.credentials.create() (e.g. @simplewebauthn/browser startRegistration)',
  })
  @IsObject()
  response: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 100, example: 'Laptop' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsPlainText()
  name?: string;
}

export class RenamePasskeyDto {
  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsPlainText()
  name: string;
}

export class PasskeyIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}
