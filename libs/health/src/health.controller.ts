import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Public } from '@app/common';
import { BasicHealthDto, ProbeDto } from './health.dto';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
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
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, else 503 service_unavailable' })
  @ApiOkResponse({ type: ProbeDto })
  @ApiServiceUnavailableResponse({ description: 'problem details, code service_unavailable' })
  async ready(): Promise<ProbeDto> {
    await this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
    return { status: 'ok' };
  }
}
