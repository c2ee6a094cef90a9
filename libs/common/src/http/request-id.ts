import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id (Fastify's `genReqId`, so it is `request.id` everywhere): a sane client
 * `X-Request-Id` is kept, anything else is replaced by a UUID. The pipeline echoes it as the
 * `X-Request-Id` response header and problem bodies carry it as `request_id`.
 */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}
