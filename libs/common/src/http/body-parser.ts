import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json, urlencoded } from 'express';
import { buildProblem, sendProblem } from '../errors/problem-details';

export const BODY_LIMIT_BYTES = 16 * 1024;
export const JSON_TYPES = ['application/json', 'application/*+json'];
export const FORM_TYPE = 'application/x-www-form-urlencoded';
/** Keys that mean prototype pollution to some consumer of the body, whatever our own code does with them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/**
 * Body handling, before Nest sees the request (so its failures are answered here as problem
 * details): JSON (`application/json` and `+json`) and form-encoded bodies are parsed, limited to
 * 16 KiB; a body of any other type is 415 `unsupported_media_type`; keys `__proto__`,
 * `constructor` and `prototype` anywhere in a body are 400 `validation_failed`. Form bodies are
 * accepted only by the routes marked `@AcceptsForm()` (FormBodyGuard), so form posts from other
 * sites cannot reach JSON routes (a "simple" cross-site request needs no CORS preflight).
 */
export function bodyParsers(): RequestHandler[] {
  const parsers = [json({ limit: BODY_LIMIT_BYTES, strict: true, type: JSON_TYPES }), urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, type: FORM_TYPE })];
  return [
    refuseOtherMediaTypes,
    ...parsers.map(
      (parser) => (req: Request, res: Response, next: NextFunction) =>
        parser(req, res, (err?: BodyParserError) => {
          if (!err) return next();
          const [status, code, detail] = classify(err);
          sendProblem(res, buildProblem(status, code, detail, String(req.id)));
        }),
    ),
    refuseForbiddenKeys,
  ];
}

/** Whether the request carries a body (Content-Length > 0 or chunked), as body-parser decides it. */
export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

function refuseOtherMediaTypes(req: Request, res: Response, next: NextFunction): void {
  if (!hasBody(req) || req.is([...JSON_TYPES, FORM_TYPE])) return next();
  sendProblem(res, buildProblem(415, 'unsupported_media_type', 'The request body must be application/json', String(req.id)));
}

function refuseForbiddenKeys(req: Request, res: Response, next: NextFunction): void {
  const path = forbiddenKeyPath(req.body, 'body', 0);
  if (path === null) return next();
  sendProblem(res, buildProblem(400, 'validation_failed', 'The request is invalid', String(req.id), [{ field: path, message: 'is not an allowed key' }]));
}

function forbiddenKeyPath(value: unknown, path: string, depth: number): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_DEPTH) return path;
  for (const key of Object.keys(value)) {
    const here = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const inner = forbiddenKeyPath((value as Record<string, unknown>)[key], here, depth + 1);
    if (inner !== null) return inner;
  }
  return null;
}

function classify(err: BodyParserError): [number, string, string] {
  switch (err.type) {
    case 'entity.too.large':
      return [413, 'payload_too_large', `The request body exceeds ${BODY_LIMIT_BYTES} bytes`];
    case 'entity.parse.failed':
      return [400, 'invalid_json', 'The request body is not valid JSON'];
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return [415, 'unsupported_media_type', 'Unsupported content encoding or charset'];
    default:
      return [err.status && err.status < 500 ? err.status : 400, 'bad_request', 'The request body could not be read'];
  }
}
