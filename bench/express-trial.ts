/**
 * The adapter trial of issue 16, reversed now that the product runs on Fastify: the product's own
 * AppModule on NestJS's Express adapter, with the request pipeline `createApp` had on Express for
 * what GET /api/v1/auth/me touches (request id, metrics, pino-http request lines, helmet, CORS,
 * the global prefix, pipes and problem filter). It is a measuring harness, not a second product:
 * cookies, body parsers and the OpenAPI page are not wired, so only bearer GETs are meaningful
 * here. Started by bench/scenarios/adapter.ts with the product's environment, pinned to the
 * server's core. Env: as the API, plus PORT.
 */
import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@app/config';
import { MetricsService } from '@app/health';
import { AppValidationPipe, httpLoggerOptions, ProblemDetailsFilter, requestIdOf, requestLogDestination } from '@app/common';
import { AppModule } from '../apps/api/src/app.module';

type Req = Parameters<typeof requestIdOf>[0] & { route?: { path?: string } };

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bodyParser: false, bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  app.set('trust proxy', config.app.trustProxy);
  app.disable('x-powered-by');
  const metrics = app.get(MetricsService);
  app.use((req: Req & { id?: unknown }, res: import('node:http').ServerResponse, next: () => void) => {
    req.id = requestIdOf(req);
    res.setHeader('X-Request-Id', String(req.id));
    const started = performance.now();
    // the product counts in Fastify's onResponse hook: the same observation, from Express's objects
    res.once('finish', () =>
      metrics.observe(
        { method: req.method, is404: !req.route, routeOptions: { url: req.route?.path } } as unknown as FastifyRequest,
        { statusCode: res.statusCode, elapsedTime: performance.now() - started } as unknown as FastifyReply,
      ),
    );
    next();
  });
  app.use(pinoHttp(httpLoggerOptions(config), requestLogDestination(config)));
  app.use(helmet());
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
