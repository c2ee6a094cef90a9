import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { FieldError } from './problem.exception';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  request_id?: string;
  errors?: FieldError[];
}

/** Default machine codes for statuses that reach the filter without a domain code. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  423: 'account_locked',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
};

export function defaultCode(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

export function buildProblem(
  status: number,
  code: string,
  detail: string,
  requestId?: string,
  errors?: FieldError[],
): ProblemDetails {
  const body: ProblemDetails = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail };
  if (requestId) body.request_id = requestId;
  if (errors && errors.length) body.errors = errors;
  return body;
}

/** Writes a problem response straight to Express (used outside Nest's pipeline, e.g. body parsing). */
export function sendProblem(res: Response, problem: ProblemDetails, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}
