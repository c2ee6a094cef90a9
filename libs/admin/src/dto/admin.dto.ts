import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto, ROLES, type Role } from '@app/common';
import { UserDto } from '@app/users';

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class AdminUserQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description:
      'matches email or name, case-insensitive, anywhere in the value (% and _ are literal). From 3 characters on, ' +
      'a trigram index finds the matches; a shorter q is a filtered scan in created_at order (fast when matches are ' +
      'common, slower on a large table when they are rare)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES) role?: Role;

  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() is_active?: boolean;

  @ApiPropertyOptional({ description: 'true: users whose email address is verified; false: not verified (v1.2, console)' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  email_verified?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES) role?: Role;
  @ApiPropertyOptional({ description: 'false disables the user and revokes all their sessions at once' })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
  @ApiPropertyOptional({ description: 'true clears a sign-in lockout of this user' }) @IsOptional() @IsBoolean() unlock?: boolean;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items: UserDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}
