import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { WorkerModule } from './worker.module';

function configOrExit(): AppConfig {
  try {
    const config = loadConfig(process.env);
    // PGlite keeps its files locked to one process: a second process on the API's DATA_DIR would
    // corrupt it. In embedded mode the jobs run inside the API instead.
    if (config.app.embedded)
      throw new ConfigError('Invalid configuration: DATABASE_URL is required for the worker (in embedded mode the jobs run inside the API)');
    // the worker always delivers the outbox, whatever EMAIL_DELIVERY_IN_API says for the API
    return { ...config, email: { ...config.email, deliveryInApi: true } };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // No HTTP server to drain: Nest's own hooks close the database and Redis on SIGTERM/SIGINT.
  app.enableShutdownHooks();
  // Jobs start with the application context: outbox delivery (every EMAIL_POLL_INTERVAL_MS) and
  // the purge job (every 5 minutes, one node at a time).
  app.get(Logger).log('Worker started: email outbox delivery, purge job', 'Bootstrap');
}

main().catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
