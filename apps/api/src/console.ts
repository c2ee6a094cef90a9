import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppConfig, packageRoot } from '@app/config';
import { buildProblem, defaultCode, sendProblem } from '@app/common';

/** Where the admin console lives (API.md "Console"): a single-page app, a client of the public admin API. */
export const CONSOLE_PATH = '/console';

/** The hashed files of a build never change under their name: a year, immutable. */
const ASSET_MAX_AGE = '365d';
const ASSET_NAME = /^\/[\w-][\w.-]*$/;

/** The console's build (apps/console → `npm run build:console`): dist/console of the installation. */
export function consoleDirectory(): string {
  return join(packageRoot() ?? process.cwd(), 'dist', 'console');
}

/**
 * Serves the console: its hashed assets with a long, immutable cache (a missing one is a 404
 * problem, never the page), and index.html — never cached, so a new build is picked up — for
 * /console and every route under it (the app routes in the browser). The page's strict CSP is set
 * with the other security headers (bootstrap.ts `consolePageCsp`). Without a build, /console
 * answers 404 saying how to build it.
 */
export async function registerConsole(app: NestFastifyApplication, directory: string = consoleDirectory()): Promise<void> {
  const assets = join(directory, 'assets');
  const fastify = app.getHttpAdapter().getInstance();
  // in a scope of its own, whose error handler answers for the files (Nest's would make a 500 of
  // the 403 that @fastify/static raises for a `..` or `//` in the path)
  await app.register(async (scope: FastifyInstance) => {
    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) request.log.error({ err }, 'console asset failed');
      const notFound = status === 403 || status === 404;
      const code = notFound ? 404 : status;
      sendProblem(reply, buildProblem(code, defaultCode(code), notFound ? 'No such console file' : 'The console file could not be sent', request.id));
    });
    await scope.register(fastifyStatic, {
      root: assets,
      prefix: `${CONSOLE_PATH}/assets/`,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      cacheControl: true,
      maxAge: ASSET_MAX_AGE,
      immutable: true,
      // the build's assets are flat files with plain names
      allowedPath: (name) => ASSET_NAME.test(name),
      // registered with or without a build (a missing file is then a 404): a build made while the
      // API runs is served without a restart; the page says how to build when there is none
      suppressWarning: true,
    });
  });
  const index = join(directory, 'index.html');
  let cached: { mtimeMs: number; body: Buffer } | undefined;
  /** index.html, read again when a new build replaced it (its assets' names changed with it) */
  const readPage = (): Buffer | undefined => {
    const mtimeMs = statSync(index, { throwIfNoEntry: false })?.mtimeMs;
    if (mtimeMs === undefined) return undefined;
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, body: readFileSync(index) };
    return cached.body;
  };
  const servePage = (request: FastifyRequest, reply: FastifyReply) => {
    const page = readPage();
    if (!page) {
      const detail = 'The admin console is not built in this installation: run `npm run build` (or `npm start`, which builds it)';
      return sendProblem(reply, buildProblem(404, 'not_found', detail, request.id));
    }
    return reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(page);
  };
  fastify.get(CONSOLE_PATH, servePage);
  fastify.get(`${CONSOLE_PATH}/*`, servePage);
}

/** Requests for the console's page or files, by the route they matched (never an API route). */
export function servesConsole(request: FastifyRequest): boolean {
  const route = request.routeOptions?.url;
  return typeof route === 'string' && (route === CONSOLE_PATH || route.startsWith(`${CONSOLE_PATH}/`));
}

/**
 * The console's Content-Security-Policy: only its own files (no inline script or style, no eval),
 * calls to its own origin only, no framing, no plugins, no <base>. Over plain http (development)
 * without upgrade-insecure-requests, which would break the page on any host but localhost.
 */
export function consolePageCsp(config: AppConfig): Record<string, string[] | null> {
  const https = new URL(config.app.publicUrl).protocol === 'https:';
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    // the app writes no HTML from strings: any such sink would be refused, not run
    'require-trusted-types-for': ["'script'"],
    'upgrade-insecure-requests': https ? [] : null,
  };
}
