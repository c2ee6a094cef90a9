/**
 * The adapter trial of issue 16: the product's own AppModule on NestJS's Fastify adapter, with
 * the same request pipeline as `createApp` for what GET /api/v1/auth/me touches (request id,
 * metrics, pino-http request lines, helmet, CORS, the global prefix, pipes and problem filter),
 * the connect-style middlewares mounted through @fastify/middie as Nest does. It is a measuring
 * harness, not a second product: cookies, body parsers and the OpenAPI page are not ported, so
 * only bearer GETs are meaningful here. Started by bench/scenarios/adapter.ts with the product's
 * environment, pinned to the server's core. Env: as the API, plus PORT.
 */
import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@app/config';
import { MetricsService } from '@app/health';
import { AppValidationPipe, httpLoggerOptions, ProblemDetailsFilter, requestIdMiddleware, requestLogDestination } from '@app/common';
import { AppModule } from '../apps/api/src/app.module';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter({ trustProxy: config.app.trustProxy }), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  app.use(requestIdMiddleware as never);
  app.use(app.get(MetricsService).httpMiddleware as never);
  app.use(pinoHttp(httpLoggerOptions(config), requestLogDestination(config)) as never);
  app.use(helmet() as never);
  app.enableCors({ origin: (origin, cb) => cb(null, !!origin && config.app.corsOrigins.includes(origin)), credentials: true, maxAge: 600 });
  app.setGlobalPrefix('api/v1', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.listen(Number(process.env.PORT ?? 3200), '127.0.0.1');
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
