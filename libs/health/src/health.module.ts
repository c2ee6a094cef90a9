import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '@app/auth';
import { EmailModule } from '@app/email';
import { SessionsModule } from '@app/sessions';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { LoginMetricsListener } from './metrics/login-metrics.listener';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { OpsAuthGuard } from './ops-auth.guard';

/**
 * Health probes, the detailed report and Prometheus metrics. Reads the database, the store, the
 * outbox (email) and the access-state cache (sessions); AuthModule provides the 'jwt' strategy
 * that lets an admin's access token open the operations endpoints.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AuthModule, SessionsModule, EmailModule],
  controllers: [HealthController, MetricsController],
  providers: [HealthService, MetricsService, LoginMetricsListener, OpsAuthGuard],
  exports: [MetricsService],
})
export class HealthModule {}
