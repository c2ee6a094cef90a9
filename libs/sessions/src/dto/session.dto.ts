import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { AUTH_METHODS, type AuthMethod } from '../session.rows';
import type { SessionWithEmail } from '../sessions.repository';

/** API.md "Session". */
export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) last_used_at: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at: string | null;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ enum: AUTH_METHODS }) auth_method: AuthMethod;
  @ApiProperty({ description: "true for the caller's own session" }) current: boolean;

  static from(s: SessionWithEmail, currentSessionId?: string): SessionDto {
    return {
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      expires_at: s.expiresAt.toISOString(),
      revoked_at: s.revokedAt ? s.revokedAt.toISOString() : null,
      ip: s.ip,
      user_agent: s.userAgent,
      auth_method: s.authMethod,
      current: s.id === currentSessionId,
    };
  }
}

/** Admin listings add the owner. */
export class AdminSessionDto extends SessionDto {
  @ApiProperty({ format: 'uuid' }) user_id: string;
  @ApiProperty() user_email: string;

  static fromAdmin(s: SessionWithEmail, currentSessionId?: string): AdminSessionDto {
    return { ...SessionDto.from(s, currentSessionId), user_id: s.userId, user_email: s.userEmail };
  }
}

export class SessionPageDto {
  @ApiProperty({ type: [SessionDto] }) items: SessionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class AdminSessionPageDto {
  @ApiProperty({ type: [AdminSessionDto] }) items: AdminSessionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class SessionIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}

export class AdminSessionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() user_id?: string;
  @ApiPropertyOptional({ description: 'true: live sessions only; false: revoked or expired only' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  active?: boolean;
  @ApiPropertyOptional({ enum: AUTH_METHODS, description: 'only sessions started by this sign-in method (v1.2, console)' })
  @IsOptional()
  @IsIn(AUTH_METHODS)
  auth_method?: AuthMethod;
}
