import { Logger, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { type AppConfig, StartupError } from '@app/config';
import { appLogDestination, type LogSettings } from './log-output';
import { httpLoggerOptions } from './logging.module';

type Env = Record<string, string | undefined>;

/**
 * How to log before the configuration is known to be valid (it may be what failed): NODE_ENV and
 * LOG_FORMAT read leniently, anything unknown taken as the default.
 */
export function logSettingsFromEnv(env: Env = process.env): LogSettings {
  const nodeEnv = env.NODE_ENV === 'production' || env.NODE_ENV === 'test' ? env.NODE_ENV : 'development';
  const logFormat = env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json' ? env.LOG_FORMAT : 'auto';
  return { nodeEnv, logFormat, logTarget: 'stdout' };
}

/**
 * Nest's logger while it builds the application, before dependency injection can hand out the
 * app logger: the same pino options and destination, so Nest's own lines, a retry warning or a
 * migration failure look like every later line. Nest also reports a failed build itself (context
 * `ExceptionHandler`, the raw error and its stack) before rethrowing it; that report is dropped
 * here, because the caller reports the failure once, with `logStartupFailure`.
 */
export class StartupLogger extends Logger {
  constructor(config: AppConfig) {
    super(new PinoLogger({ pinoHttp: [httpLoggerOptions(config), appLogDestination(config.app)] }), {});
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (rest[rest.length - 1] === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}

/**
 * The one line a failed start ends with, at level fatal on stderr, in the format of the other
 * lines (JSON, or pretty in development on a terminal), whatever LOG_LEVEL says. A StartupError
 * (bad configuration, unreachable database, a data directory in use) explains itself: its message
 * only, no stack. Anything else is a bug and is logged with its stack.
 */
export function logStartupFailure(err: unknown, settings: LogSettings): void {
  const logger = pino({ level: 'fatal' }, appLogDestination({ ...settings, logTarget: 'stderr' }));
  if (err instanceof StartupError) {
    logger.fatal({ context: 'Bootstrap' }, err.message);
    return;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  logger.fatal({ context: 'Bootstrap', err: { type: error.name, message: error.message, stack: error.stack } }, `Failed to start: ${error.message}`);
}
