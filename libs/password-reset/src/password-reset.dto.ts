import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CompletePasswordResetDto {
  @ApiProperty({ description: 'the token from the reset mail' }) @IsString() @IsNotEmpty() @MaxLength(512) token: string;
  @ApiProperty({ description: 'the new password; must satisfy the password policy' }) @IsString() @MaxLength(1024) password: string;
}
