import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { createApp } from './bootstrap';
import { installGracefulShutdown } from './shutdown';

function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const app = await createApp(config);
  await app.listen(config.app.port, '0.0.0.0');
  installGracefulShutdown(app);
  const mode = config.app.embedded ? 'embedded mode: PGlite in DATA_DIR, in-process store' : 'PostgreSQL + Redis';
  app.get(Logger).log(`Identity API listening on ${config.app.publicUrl} (${mode})`, 'Bootstrap');
}

main().catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
