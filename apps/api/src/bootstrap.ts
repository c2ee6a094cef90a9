import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@app/config';
import { MetricsService } from '@app/health';
import { AppValidationPipe, bodyParsers, httpLoggerOptions, ProblemDetailsFilter, requestIdMiddleware, requestLogDestination } from '@app/common';
import { AppModule } from './app.module';

export const API_PREFIX = 'api/v1';

/** Builds the HTTP application exactly as production runs it; e2e tests use the same function. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  app.set('trust proxy', config.app.trustProxy);
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  app.use(app.get(MetricsService).httpMiddleware);
  app.use(pinoHttp(httpLoggerOptions(config), requestLogDestination(config)));
  app.use(helmet());
  app.enableCors({
    origin: (origin, callback) => callback(null, !!origin && config.app.corsOrigins.includes(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Auth-Mode', 'X-CSRF-Token'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'X-CSRF-Token'],
    maxAge: 600,
  });
  for (const parser of bodyParsers()) app.use(parser);
  app.use(cookieParser());

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  // the API's own description: served in development, off in production unless DOCS_ENABLED=true
  if (config.app.docsEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Identity API')
        .setDescription(
          'Sign-up, sign-in, sessions, social login, email verification, password reset, roles, audit and health. ' +
            'Every error is an RFC 9457 problem document (application/problem+json) with a stable `code`.',
        )
        .setVersion(config.app.version)
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}
