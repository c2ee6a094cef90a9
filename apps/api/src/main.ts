// first: OpenTelemetry (when OTEL_EXPORTER_OTLP_ENDPOINT is set) patches modules as they load
import './tracing';
import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { AppConfig, loadConfig, StartupError } from '@app/config';
import { type LogSettings, logSettingsFromEnv, logStartupFailure } from '@app/common';
import { createApp } from './bootstrap';
import { installGracefulShutdown } from './shutdown';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  settings = config.app;
  const app = await createApp(config);
  await listen(() => app.listen(config.app.port, '0.0.0.0'), config);
  installGracefulShutdown(app);
  const mode = config.app.embedded ? 'embedded mode: PGlite in DATA_DIR, in-process store' : 'PostgreSQL + Redis';
  app.get(Logger).log(`Identity API listening on ${config.app.publicUrl} (${mode})`, 'Bootstrap');
}

/** A port someone else holds is a configuration matter: say which variable, not where in Node it failed. */
async function listen(start: () => Promise<unknown>, config: AppConfig): Promise<void> {
  try {
    await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    throw new StartupError(`Cannot listen on 0.0.0.0:${config.app.port} (PORT): ${(err as Error).message}`);
  }
}

/** Until the configuration is valid, failures are logged as NODE_ENV / LOG_FORMAT say, read leniently. */
let settings: LogSettings = logSettingsFromEnv(process.env);

main().catch((err) => {
  logStartupFailure(err, settings);
  process.exit(1);
});
