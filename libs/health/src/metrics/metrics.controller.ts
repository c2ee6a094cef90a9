import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CommonErrors, Public } from '@app/common';
import { OpsAuthGuard } from '../ops-auth.guard';
import { MetricsService } from './metrics.service';

@ApiTags('health')
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @UseGuards(OpsAuthGuard)
  @ApiBearerAuth()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics of this process (no /api/v1 prefix); admin bearer or HEALTH_TOKEN',
    description:
      'Text exposition format. Series: http_requests_total and http_request_duration_seconds {method, route, status} ' +
      '(route is the route pattern; unmatched requests share route="unmatched"), identity_logins_total {method, outcome}, ' +
      'identity_active_sessions, identity_outbox_messages {status}, identity_outbox_oldest_pending_age_seconds, ' +
      'identity_redis_fallback {component}, and the default process/Node.js metrics.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiProblems([CommonErrors.roleRequired, 'a valid access token of a non-admin'])
  async scrape(@Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    res.header('Content-Type', this.metrics.contentType);
    return this.metrics.render();
  }
}
