// first: OpenTelemetry (when OTEL_EXPORTER_OTLP_ENDPOINT is set) patches modules as they load
import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { type LogSettings, logSettingsFromEnv, logStartupFailure, StartupLogger } from '@app/common';
import { WorkerModule } from './worker.module';

function workerConfig(): AppConfig {
  const config = loadConfig(process.env);
  // PGlite keeps its files locked to one process: a second process on the API's DATA_DIR would
  // corrupt it. In embedded mode the jobs run inside the API instead.
  if (config.app.embedded)
    throw new ConfigError('Invalid configuration: DATABASE_URL is required for the worker (in embedded mode the jobs run inside the API)');
  // the worker always delivers the outbox, whatever EMAIL_DELIVERY_IN_API says for the API
  return { ...config, email: { ...config.email, deliveryInApi: true } };
}

async function main(): Promise<void> {
  const config = workerConfig();
  settings = config.app;
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), {
    logger: new StartupLogger(config),
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // No HTTP server to drain: Nest's own hooks close the database and Redis on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  // Jobs start with the application context: outbox delivery (every EMAIL_POLL_INTERVAL_MS) and
  // the purge job (every 5 minutes, one node at a time).
  app.get(Logger).log('Worker started: email outbox delivery, purge job', 'Bootstrap');
}

/** Until the configuration is valid, failures are logged as NODE_ENV / LOG_FORMAT say, read leniently. */
let settings: LogSettings = logSettingsFromEnv(process.env);

main().catch((err) => {
  logStartupFailure(err, settings);
  process.exit(1);
});
