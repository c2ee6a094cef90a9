import { Controller, Get, HttpCode, Inject, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiProblems, CommonErrors, ProblemException, Public } from '@app/common';
import { BasicHealthDto, DatabaseCheckDto, DetailedHealthDto, ProbeDto } from './health.dto';
import { HealthService } from './health.service';
import { OpsAuthGuard } from './ops-auth.guard';

const OPS_AUTH = 'Authorization: Bearer <admin access token> or Bearer <HEALTH_TOKEN>.';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly detailedHealth: HealthService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Basic health (no prefix): the process answers' })
  @ApiOkResponse({ type: BasicHealthDto })
  basic(): BasicHealthDto {
    return { status: 'healthy', environment: this.config.app.nodeEnv, version: this.config.app.version };
  }

  @Get('health/live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ type: ProbeDto })
  live(): ProbeDto {
    return { status: 'ok' };
  }

  @Get('health/ready')
  // its own OpenAPI (terminus's would describe a report; this answers {status} or a problem document)
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, else 503 service_unavailable' })
  @ApiOkResponse({ type: ProbeDto })
  @ApiProblems([ProblemException.unavailable, 'the database does not answer'])
  async ready(): Promise<ProbeDto> {
    await this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
    return { status: 'ok' };
  }

  @Get('health/detailed')
  @UseGuards(OpsAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Detailed health of this node and its dependencies; cheap enough to poll every second',
    description:
      `${OPS_AUTH} healthy: everything answers. degraded (200): Redis is unreachable (the API keeps serving: access ` +
      'checks ask PostgreSQL, throttling counts per node) or the email outbox is backing up (a pending mail overdue ' +
      'by more than 300 s; failed mails are counted but do not degrade, one bad address is not an outage). ' +
      'unhealthy (503): the database is unreachable. The 503 carries the same JSON report, not a problem document, ' +
      'so a monitor sees which check failed. Each check answers within about 1 s.',
  })
  @ApiOkResponse({ type: DetailedHealthDto, description: 'healthy or degraded' })
  @ApiResponse({ status: 503, type: DetailedHealthDto, description: 'unhealthy: the same report, with checks.database.status "down"' })
  @ApiProblems([CommonErrors.roleRequired, 'a valid access token of a non-admin'])
  async detailed(@Res({ passthrough: true }) res: FastifyReply): Promise<DetailedHealthDto> {
    const report = await this.detailedHealth.detailed();
    if (report.status === 'unhealthy') res.status(503);
    return report;
  }

  @Get('health/database')
  @UseGuards(OpsAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Database check: latency, connection pool of this node, migrations', description: OPS_AUTH })
  @ApiOkResponse({ type: DatabaseCheckDto })
  @ApiResponse({ status: 503, type: DatabaseCheckDto, description: 'the database is unreachable: the same shape, status "down"' })
  @ApiProblems([CommonErrors.roleRequired, 'a valid access token of a non-admin'])
  async database(@Res({ passthrough: true }) res: FastifyReply): Promise<DatabaseCheckDto> {
    const check = await this.detailedHealth.database();
    if (check.status === 'down') res.status(503);
    return check;
  }
}
