import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { WebhookDelivery, type WebhookDeliveryStatus } from '../deliveries/webhook-delivery.rows';
import { WebhookEndpoint } from '../endpoints/webhook-endpoint.rows';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-events';

const URL_DESCRIPTION =
  'where deliveries are POSTed: https, resolving to public addresses only (checked on save and before every delivery), ' +
  'unless the server runs with WEBHOOKS_ALLOW_PRIVATE=true; no credentials in the URL';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/identity', maxLength: 2048, description: URL_DESCRIPTION })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, minItems: 1, example: ['user.registered', 'session.revoked'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events: WebhookEventType[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, example: 'CRM sync' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string | null;

  @ApiPropertyOptional({ default: true, description: 'false: no new deliveries are queued for this endpoint' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: 2048, description: URL_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true, minItems: 1 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false pauses the endpoint: no new deliveries are queued for it (queued ones still go out)' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}

/** A webhook endpoint. Its secret is shown once, in the answer that creates it. */
export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://hooks.example.com/identity' }) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events: WebhookEventType[];
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;

  static from(e: WebhookEndpoint): WebhookDto {
    return {
      id: e.id,
      url: e.url,
      events: e.events,
      description: e.description,
      enabled: e.enabled,
      created_at: e.createdAt.toISOString(),
      updated_at: e.updatedAt.toISOString(),
    };
  }
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'the signing secret (Standard Webhooks: `whsec_` + base64); shown only in this answer, never again',
  })
  secret: string;
}

export class WebhookPageDto {
  @ApiProperty({ type: [WebhookDto] }) items: WebhookDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

const STATUSES: WebhookDeliveryStatus[] = ['pending', 'sending', 'delivered', 'failed'];

/** One event for one endpoint; its id is the `webhook-id` header of every attempt. */
export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'also the webhook-id header of every attempt' }) id: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) event: string;
  @ApiProperty({ enum: STATUSES, description: 'sending: an attempt is in progress; failed: WEBHOOKS_MAX_ATTEMPTS attempts failed' })
  status: WebhookDeliveryStatus;
  @ApiProperty({ description: 'attempts made so far' }) attempts: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'HTTP status of the last answer; null when there was none (network error, timeout, refused address)',
  })
  last_status_code: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the next attempt is due (pending only)' })
  next_attempt_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(d: WebhookDelivery): WebhookDeliveryDto {
    return {
      id: d.id,
      event: d.event,
      status: d.status,
      attempts: d.attempts,
      last_status_code: d.lastStatusCode,
      next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
      created_at: d.createdAt.toISOString(),
    };
  }
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items: WebhookDeliveryDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}
