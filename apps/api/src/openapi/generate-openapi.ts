import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import { AppModule } from '../app.module';
import { setGlobalPrefix } from '../bootstrap';
import { createOpenApiDocument } from './openapi-document';

/**
 * The document /docs-json serves, built without a server or any dependency: Nest's preview mode
 * scans the application's modules and controllers but instantiates no provider, so nothing connects
 * to PostgreSQL or Redis. Used by `npm run lint:api` (scripts/openapi.ts).
 */
export async function generateOpenApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    setGlobalPrefix(app);
    return createOpenApiDocument(app, config);
  } finally {
    await app.close();
  }
}
