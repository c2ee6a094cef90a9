import { ProblemException } from './problem.exception';

/** Problems any lib may answer with: the catalogue of codes that belong to no single context. */
export const CommonErrors = {
  rateLimited: (retryAfterS: number | string) =>
    new ProblemException(429, 'rate_limited', 'Too many requests; retry later', { headers: { 'Retry-After': String(retryAfterS) } }),
  unsupportedMediaType: () => new ProblemException(415, 'unsupported_media_type', 'The request body must be application/json'),
  /** 401 `unauthorized`: no (usable) credentials at all; `detail` says which ones the route wants. */
  unauthenticated: (detail = 'A bearer access token is required') => ProblemException.unauthorized('unauthorized', detail),
  /** 403 `forbidden`: authenticated, but without the role the route requires. */
  roleRequired: () => ProblemException.forbidden('forbidden', 'You do not have the role this requires'),
  invalidCursor: () => ProblemException.validation([{ field: 'cursor', message: 'is not a valid cursor' }]),
  /** The body parser's answers (before routing, for every route that gets a body). */
  payloadTooLarge: (limitBytes: number) => new ProblemException(413, 'payload_too_large', `The request body exceeds ${limitBytes} bytes`),
  invalidJson: () => new ProblemException(400, 'invalid_json', 'The request body is not valid JSON'),
  unsupportedEncoding: () => new ProblemException(415, 'unsupported_media_type', 'Unsupported content encoding or charset'),
  unreadableBody: () => new ProblemException(400, 'bad_request', 'The request body could not be read'),
} as const;
