import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class VerifyEmailDto {
  @ApiProperty({ description: 'the token from the verification mail' }) @IsString() @IsNotEmpty() @MaxLength(512) token: string;
}

export class VerifyEmailQueryDto {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @MaxLength(512) token?: string;
}

export class EmailOnlyDto {
  @ApiProperty({ example: 'ada@example.com' })
  // lone UTF-16 surrogates become U+FFFD first: validator's isEmail throws URIError on them (a 500)
  @Transform(({ value }) => (typeof value === 'string' ? value.replace(/\p{Cs}/gu, '\uFFFD').trim() : value))
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email: string;
}
