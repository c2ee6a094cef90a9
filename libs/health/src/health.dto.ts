import { ApiProperty } from '@nestjs/swagger';

export class BasicHealthDto {
  @ApiProperty({ example: 'healthy' }) status: 'healthy';
  @ApiProperty({ example: 'production' }) environment: string;
  @ApiProperty({ example: '0.1.0' }) version: string;
}

export class ProbeDto {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}

export type CheckStatus = 'up' | 'degraded' | 'down';

export class PoolDto {
  @ApiProperty({ description: 'connections open in this process', example: 4 }) total: number;
  @ApiProperty({ description: 'open and idle', example: 3 }) idle: number;
  @ApiProperty({ description: 'queries waiting for a connection', example: 0 }) waiting: number;
}

export class MigrationsDto {
  @ApiProperty({ type: Number, nullable: true, description: 'rows in the migrations table (null: never read, database down)' })
  applied: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'migrations this build ships that are not applied yet' })
  pending: number | null;
}

export class DatabaseCheckDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiProperty({ type: Number, nullable: true, description: 'round trip of SELECT 1; null when down', example: 0.8 }) latency_ms: number | null;
  @ApiProperty({ type: PoolDto }) pool: PoolDto;
  @ApiProperty({ type: MigrationsDto }) migrations: MigrationsDto;
}

export class RedisCheckDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiProperty({ type: Number, nullable: true, description: 'PING round trip; 0 for the in-process store; null when down', example: 0.4 })
  latency_ms: number | null;
  @ApiProperty({
    enum: ['redis', 'in-process', 'unavailable'],
    description: '`unavailable`: Redis is configured but unreachable; the API keeps working (access checks ask PostgreSQL, throttling counts per node)',
  })
  mode: 'redis' | 'in-process' | 'unavailable';
}

export class OutboxDto {
  @ApiProperty({ type: Number, nullable: true }) pending: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'mails that failed for good (kept 30 days)' }) failed: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'how long the most overdue pending mail has been due, in seconds; null when nothing is pending',
  })
  oldest_pending_age_s: number | null;
}

export class EmailCheckDto {
  @ApiProperty({
    enum: ['up', 'degraded', 'down'],
    description:
      'degraded: the outbox is backing up (a pending mail has been due for more than 300 s, i.e. no process is delivering or delivery cannot keep up); down: the outbox cannot be read',
  })
  status: CheckStatus;
  @ApiProperty({ enum: ['resend', 'log'] }) provider: 'resend' | 'log';
  @ApiProperty({ type: OutboxDto }) outbox: OutboxDto;
}

export class MemoryDto {
  @ApiProperty({ example: 120.5 }) rss_mb: number;
  @ApiProperty({ example: 48.2 }) heap_used_mb: number;
}

export class EventLoopDto {
  @ApiProperty({ description: 'p99 event-loop delay over the last few seconds, in ms', example: 0.3 }) lag_ms: number;
}

export class ChecksDto {
  @ApiProperty({ type: DatabaseCheckDto }) database: DatabaseCheckDto;
  @ApiProperty({ type: RedisCheckDto }) redis: RedisCheckDto;
  @ApiProperty({ type: EmailCheckDto }) email: EmailCheckDto;
  @ApiProperty({ type: MemoryDto }) memory: MemoryDto;
  @ApiProperty({ type: EventLoopDto }) event_loop: EventLoopDto;
}

export class DetailedHealthDto {
  @ApiProperty({
    enum: ['healthy', 'degraded', 'unhealthy'],
    description:
      'unhealthy (HTTP 503): the database is unreachable. degraded (HTTP 200): the API serves, with a dependency impaired — ' +
      'Redis unreachable, or the email outbox backing up. healthy: everything answers.',
  })
  status: 'healthy' | 'degraded' | 'unhealthy';
  @ApiProperty({ example: '0.1.0' }) version: string;
  @ApiProperty({ example: 'production' }) environment: string;
  @ApiProperty({ description: 'seconds since the process started', example: 3600 }) uptime_s: number;
  @ApiProperty({ type: ChecksDto }) checks: ChecksDto;
}
