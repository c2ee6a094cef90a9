import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsPlainText } from '@app/common';

/** Only `name` is writable by the user; any other field (role, email, ...) is a 400. */
export class UpdateProfileDto {
  @ApiProperty({ type: String, nullable: true, maxLength: 100, description: 'null or blank clears the name' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() || null : value))
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(100)
  @IsPlainText()
  name: string | null;
}
