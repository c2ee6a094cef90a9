import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
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

export function buildProblem(status: number, code: string, detail: string, requestId?: string, errors?: FieldError[]): ProblemDetails {
  const body: ProblemDetails = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail };
  if (requestId) body.request_id = requestId;
  if (errors && errors.length) body.errors = errors;
  return body;
}

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Writes a problem response: to a Fastify reply (the app), or to a Node.js response, which is what
 * an Express response is too (the bench's Express harness) and what a Nest middleware's error
 * hands the filter on Fastify. Nothing is written once the response has started.
 */
export function sendProblem(res: FastifyReply | ServerResponse, problem: ProblemDetails, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(problem);
  if ('raw' in res) {
    if (res.sent) return;
    res.status(problem.status);
    for (const [k, v] of Object.entries(headers)) res.header(k, v);
    res.header('Content-Type', PROBLEM_TYPE).send(body);
    return;
  }
  if (res.headersSent) return;
  res.statusCode = problem.status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', PROBLEM_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
