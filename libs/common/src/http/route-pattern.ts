import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

/** The raw request as the request pipeline annotates it, for what reads only the raw request (pino-http). */
export type AnnotatedRawRequest = IncomingMessage & { routePattern?: string | null };

/**
 * The route pattern a request matched (`/api/v1/admin/users/:id`), or null when no controller
 * route did: Fastify's not-found handler, and wildcard routes that are not ours (the CORS
 * preflight route `*`, the OpenAPI page's static files) — what Express, which had no route
 * object for them, reported as no route either. Metrics and request log lines label by it,
 * never by the raw URL.
 */
export function routePatternOf(request: FastifyRequest): string | null {
  if (request.is404) return null;
  const url = request.routeOptions.url;
  return typeof url === 'string' && !url.includes('*') ? url : null;
}
