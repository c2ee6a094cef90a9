import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json, urlencoded } from 'express';
import { buildProblem, sendProblem } from '../errors/problem-details';

export const BODY_LIMIT_BYTES = 16 * 1024;

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/**
 * JSON (and form, for OAuth-style clients) body parsing limited to 16 KiB; parser failures are
 * answered here as problem details, since they happen before Nest's filters can see them.
 */
export function bodyParsers(): RequestHandler[] {
  return [json({ limit: BODY_LIMIT_BYTES, strict: true }), urlencoded({ extended: false, limit: BODY_LIMIT_BYTES })].map(
    (parser) => (req: Request, res: Response, next: NextFunction) =>
      parser(req, res, (err?: BodyParserError) => {
        if (!err) return next();
        const [status, code, detail] = classify(err);
        sendProblem(res, buildProblem(status, code, detail, String(req.id)));
      }),
  );
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
