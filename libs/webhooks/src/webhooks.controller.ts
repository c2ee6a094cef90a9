import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, PageQueryDto, Roles, toPage } from '@app/common';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookIdParam,
  WebhookPageDto,
} from './dto/webhook.dto';
import { WebhooksErrors } from './errors';
import { WebhooksService } from './webhooks.service';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/webhooks')
export class AdminWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Webhook endpoints, newest first (v1.2)' })
  @ApiOkResponse({ type: WebhookPageDto })
  async list(@Query() q: PageQueryDto): Promise<WebhookPageDto> {
    return toPage(await this.webhooks.list(q), q.limit, WebhookDto.from);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a webhook endpoint; the answer carries its signing secret, shown this once (v1.2)',
    description: 'Records admin.webhook_changed. Deliveries are signed per the Standard Webhooks spec with the secret.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiProblems([WebhooksErrors.urlNotAllowed, 'the URL is not https, carries credentials, or resolves to a non-public address'])
  async create(@Actor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const { endpoint, secret } = await this.webhooks.create(actor, {
      url: dto.url,
      events: dto.events,
      description: dto.description ?? null,
      enabled: dto.enabled,
    });
    return { ...WebhookDto.from(endpoint), secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook endpoint (never its secret) (v1.2)' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(WebhooksErrors.endpointNotFound)
  async get(@Param() p: WebhookIdParam): Promise<WebhookDto> {
    return WebhookDto.from(await this.webhooks.get(p.id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, events, description or enabled flag of a webhook endpoint (v1.2)', description: 'Records admin.webhook_changed.' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(WebhooksErrors.emptyChange, [WebhooksErrors.urlNotAllowed, 'the new URL is not allowed'], WebhooksErrors.endpointNotFound)
  async update(@Actor() actor: Actor, @Param() p: WebhookIdParam, @Body() dto: UpdateWebhookDto): Promise<WebhookDto> {
    return WebhookDto.from(await this.webhooks.update(actor, p.id, { url: dto.url, events: dto.events, description: dto.description, enabled: dto.enabled }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint with its deliveries; queued ones are not sent (v1.2)', description: 'Records admin.webhook_changed.' })
  @ApiNoContentResponse()
  @ApiProblems(WebhooksErrors.endpointNotFound)
  async delete(@Actor() actor: Actor, @Param() p: WebhookIdParam): Promise<void> {
    await this.webhooks.delete(actor, p.id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries of a webhook endpoint, newest first: status, attempts, last HTTP status, next attempt (v1.2)' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiProblems(WebhooksErrors.endpointNotFound)
  async deliveries(@Param() p: WebhookIdParam, @Query() q: PageQueryDto): Promise<WebhookDeliveryPageDto> {
    return toPage(await this.webhooks.deliveriesOf(p.id, q), q.limit, WebhookDeliveryDto.from);
  }
}
