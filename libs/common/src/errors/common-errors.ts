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
} as const;
