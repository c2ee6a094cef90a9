import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEmailAddress } from '@app/common';

export class VerifyEmailDto {
  @ApiProperty({ description: 'the token from the verification mail' }) @IsString() @IsNotEmpty() @MaxLength(512) token: string;
}

export class VerifyEmailQueryDto {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @MaxLength(512) token?: string;
}

export class EmailOnlyDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  email: string;
}
