import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { AUDIT_EVENTS, PageQueryDto } from '@app/common';
import { AuditEvent } from '../audit-event.rows';

/** API.md "AuditEvent". */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  /** every stored event is one of these: they are recorded only through DomainEvents (AUDIT_EVENTS) */
  @ApiProperty({ enum: AUDIT_EVENTS, example: 'auth.login' }) event: string;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome: 'success' | 'failure';
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actor_id: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) target_user_id: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) session_id: string | null;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(a: AuditEvent): AuditEventDto {
    return {
      id: a.id,
      event: a.event,
      outcome: a.outcome,
      actor_id: a.actorId,
      target_user_id: a.targetUserId,
      session_id: a.sessionId,
      ip: a.ip,
      user_agent: a.userAgent,
      metadata: a.metadata,
      created_at: a.createdAt.toISOString(),
    };
  }
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class AdminAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'auth.login' }) @IsOptional() @IsString() @MaxLength(64) @Matches(/^[a-z_.]+$/) event?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() actor_id?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() target_user_id?: string;
  @ApiPropertyOptional({ enum: ['success', 'failure'] }) @IsOptional() @IsIn(['success', 'failure']) outcome?: 'success' | 'failure';
  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' }) @IsOptional() @IsDateString({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'exclusive' }) @IsOptional() @IsDateString({ strict: true }) to?: string;
}
