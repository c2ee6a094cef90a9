import { IncomingMessage, ServerResponse } from 'node:http';
import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { AnnotatedRawRequest } from '../http/route-pattern';
import { appLogDestination } from './log-output';
import { traceContextMixin } from './trace-context';

/** Query parameters that may carry secrets; their values never reach a log line. */
const SECRET_PARAMS = /([?&](?:token|code|state|refresh_token|access_token|password)=)[^&]*/gi;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PARAMS, '$1[REDACTED]');
}

type Req = AnnotatedRawRequest & { originalUrl?: string };

/**
 * pino-http options: one JSON line per request with request id, method, route, status and
 * duration, and with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) the trace and span ids. Headers and
 * bodies are not serialized at all, so authorization headers, cookies, passwords and tokens
 * cannot leak; secret-bearing query parameters are masked.
 */
export function httpLoggerOptions(config: AppConfig): Options {
  return {
    level: config.app.logLevel,
    genReqId: (req: IncomingMessage) => req.id ?? 'unknown',
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    customSuccessObject: (req: IncomingMessage, res: ServerResponse, base: object) => ({
      ...base,
      route: (req as Req).routePattern ?? null,
    }),
    serializers: {
      req: (req: { method?: string; url?: string; raw?: Req }) => ({
        method: req.method,
        url: redactUrl(req.raw?.originalUrl ?? req.url),
      }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      err: (err: Error) => ({ type: err.name, message: err.message }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    ...(config.app.otlpEndpoint ? { mixin: traceContextMixin() } : {}),
  };
}

/**
 * The app logger (nestjs-pino). pino-http itself runs first thing in the request pipeline that
 * `createApp` installs (so 404s and body-parser rejections are logged too); this module
 * only formats application log lines (no request-scoped context: see below).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // JSON lines, or pino-pretty in development on a terminal (LOG_FORMAT), on stdout or stderr
        pinoHttp: [httpLoggerOptions(config), appLogDestination(config.app)],
        useExisting: true,
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        // No request-scoped logger context: nestjs-pino would run every request inside an
        // AsyncLocalStorage, which on Node 20 turns on promise hooks for the whole process and
        // cost ~9 % of /auth/me's throughput (bench, issue 16). Request lines (pino-http) and
        // problem bodies still carry request_id; service log lines do not.
        exclude: [{ path: '{*path}', method: RequestMethod.ALL }],
      }),
    }),
  ],
})
export class LoggingModule {}
