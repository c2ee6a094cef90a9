import fastifyCookie from '@fastify/cookie';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@app/config';
import { MetricsService } from '@app/health';
import {
  type AnnotatedRawRequest,
  API_PREFIX,
  AppValidationPipe,
  buildProblem,
  defaultCode,
  httpLoggerOptions,
  ProblemDetailsFilter,
  registerBodyParsers,
  requestIdOf,
  requestLogDestination,
  routePatternOf,
  sendProblem,
  StartupLogger,
} from '@app/common';
import { AppModule } from './app.module';
import { consolePageCsp, registerConsole, servesConsole } from './console';
import { createOpenApiDocument } from './openapi/openapi-document';

export { API_PREFIX } from '@app/common';

/**
 * find-my-way refuses route parameters longer than 100 characters (414); Express had no such
 * limit, and long junk in a parameter must keep reaching validation (400), as before.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * Builds the HTTP application exactly as production runs it; e2e tests use the same function.
 * NestJS on Fastify. Callers that do not `listen` must `await app.init()` and then
 * `await app.getHttpAdapter().getInstance().ready()` (plugins load at ready) before serving.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const front = requestFront(config);
  const adapter = new FastifyAdapter({
    // the same rules as Express's 'trust proxy' (a hop count, or addresses/CIDRs/names via proxy-addr)
    trustProxy: config.app.trustProxy,
    genReqId: requestIdOf,
    // Node's own server defaults, which the API had on Express (Fastify's: 72 s keep-alive, no request timeout)
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    // routing as Express did it: case-insensitive, a trailing slash ignored
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // errors Fastify raises before any hook (a path that does not percent-decode): problem details too
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      front(request, reply, () => {
        const status = error.statusCode ?? 500;
        const detail = status < 500 ? 'The request URL is not valid' : 'An unexpected error occurred';
        sendProblem(reply, buildProblem(status, defaultCode(status), detail, request.id));
      }),
  });
  // runs before everything else, Nest's CORS hook included, as the first middlewares did on Express
  adapter.setOnRequestHook(front);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    bodyParser: false,
    // the app logger's format from the first line on, and no second report of a failed build
    logger: new StartupLogger(config),
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request, reply);
    done();
  });
  app.enableCors({
    origin: (origin, callback) => callback(null, !!origin && config.app.corsOrigins.includes(origin)),
    credentials: true,
    // lists as strings: @fastify/cors joins arrays with ", ", the `cors` package wrote ","
    methods: 'GET,POST,PUT,PATCH,DELETE',
    allowedHeaders: config.app.corsAllowedHeaders.join(','),
    exposedHeaders: 'X-Request-Id,Retry-After,X-CSRF-Token',
    maxAge: 600,
    // as the `cors` package: an OPTIONS from an allowed origin is a preflight, answered 204 even
    // without Access-Control-Request-Method (@fastify/cors would answer 400 text/plain)
    strictPreflight: false,
  });
  // a preflight from an origin CORS_ORIGINS does not list: say so (403), instead of the 404 of a
  // route that has no OPTIONS, which reads like a wrong URL (allowed preflights never get here)
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (request.method !== 'OPTIONS' || !origin || !request.headers['access-control-request-method'] || config.app.corsOrigins.includes(origin)) return done();
    const detail = `Cross-origin requests from ${origin.slice(0, 200)} are not allowed (CORS): the origin is not in CORS_ORIGINS`;
    sendProblem(reply, buildProblem(403, 'forbidden', detail, request.id));
  });
  registerBodyParsers(fastify);
  await app.register(fastifyCookie);
  // the admin console (apps/console), served from this API's own origin
  await registerConsole(app);

  setGlobalPrefix(app);
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  // the API's own description: served in development, off in production unless DOCS_ENABLED=true
  if (config.app.docsEnabled) {
    SwaggerModule.setup('docs', app, createOpenApiDocument(app, config), { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

/** Routes live under /api/v1, except the probes and the scrape that load balancers and Prometheus call by a fixed path. */
export function setGlobalPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      // discovery for resource servers lives where the standards put it
      { path: '.well-known/jwks.json', method: RequestMethod.GET },
      { path: '.well-known/openid-configuration', method: RequestMethod.GET },
    ],
  });
}

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

/**
 * What every response gets first, in Express's former middleware order: the X-Request-Id header
 * (request.id, set by `genReqId`), the request log line (pino-http, on the raw request, labelled
 * with the route pattern) and helmet's security headers. helmet is the same middleware
 * @fastify/helmet would run (that plugin builds it anew per request, and its hook would run
 * after CORS, so preflights would lose the headers); metrics are counted in `onResponse`.
 */
function requestFront(config: AppConfig): Hook {
  const logRequest = pinoHttp(httpLoggerOptions(config), requestLogDestination(config));
  const securityHeaders = helmet();
  const docsSecurityHeaders = helmet({ contentSecurityPolicy: { directives: docsPageCsp(config) } });
  const consoleSecurityHeaders = helmet({ contentSecurityPolicy: { directives: consolePageCsp(config) } });
  return (request, reply, done) => {
    const raw = request.raw as AnnotatedRawRequest;
    raw.id = request.id;
    raw.routePattern = routePatternOf(request);
    reply.raw.setHeader('X-Request-Id', request.id);
    logRequest(raw, reply.raw);
    const headers = servesDocsPage(request) ? docsSecurityHeaders : servesConsole(request) ? consoleSecurityHeaders : securityHeaders;
    headers(raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  };
}

/**
 * The Swagger UI page (/docs) and its files (/docs/…), by the route the request matched (never an
 * API route, whatever the URL's spelling); /docs-json is data and keeps the API's headers.
 */
function servesDocsPage(request: FastifyRequest): boolean {
  const route = request.routeOptions?.url;
  return typeof route === 'string' && (route === '/docs' || route.startsWith('/docs/'));
}

/**
 * helmet's default policy, except what breaks the page: over plain http (PUBLIC_URL http://, i.e.
 * development, or a private network) `upgrade-insecure-requests` makes the browser fetch the page's
 * own scripts and styles over https, which fails on any host but localhost (a blank page). And
 * "Try it out" calls the document's server, PUBLIC_URL, which may be another origin than the page's.
 */
function docsPageCsp(config: AppConfig): Record<string, string[] | null> {
  const publicUrl = new URL(config.app.publicUrl);
  return {
    'connect-src': ["'self'", publicUrl.origin],
    'upgrade-insecure-requests': publicUrl.protocol === 'https:' ? [] : null,
  };
}
