export * from './health.module';
export { MetricsService } from './metrics/metrics.service';
