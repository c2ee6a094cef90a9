import { SetMetadata } from '@nestjs/common';
import { type FieldError, ProblemException } from '../errors/problem.exception';

export const API_PROBLEMS_KEY = 'openapi:problems';
export const API_SUCCESS_HEADERS_KEY = 'openapi:success-headers';

/** A problem as the OpenAPI document lists it: status, code, an example detail, the headers it carries. */
export interface DocumentedProblem {
  status: number;
  code: string;
  detail: string;
  /** names of the response headers that come with it (`Retry-After`) */
  headers: string[];
  errors?: FieldError[];
  /** when it happens, if the detail does not say */
  when?: string;
}

/** An entry of an error catalogue (`AuthErrors.invalidCredentials`) or a problem built from one. */
export type ProblemSource = ProblemException | ((...args: never[]) => ProblemException);

/**
 * The documented form of a catalogue entry. A factory is called without arguments: only its status,
 * code, detail and header names are read (a factory whose detail needs its argument is passed
 * called, e.g. `OAuthErrors.providerAlreadyLinked('google')`).
 */
export function documentedProblem(source: ProblemSource, when?: string): DocumentedProblem {
  const problem = source instanceof ProblemException ? source : source();
  const { status, code, detail, options } = problem;
  return {
    status,
    code,
    detail,
    headers: Object.keys(options.headers ?? {}),
    ...(options.errors ? { errors: options.errors } : {}),
    ...(when ? { when } : {}),
  };
}

/**
 * The problems an operation (or every operation of a controller) answers besides those the OpenAPI
 * document derives by itself (apps/api/src/openapi): 400 `validation_failed` for DTO input, 400
 * `invalid_json`, 413 and 415 for JSON bodies, 401 for bearer routes, 403 `forbidden` for @Roles,
 * 429 everywhere. Pass the catalogue entries the code throws (`AuthErrors.invalidCredentials`), or
 * `[entry, 'when it happens']`.
 */
export const ApiProblems = (...problems: (ProblemSource | [ProblemSource, string])[]) =>
  SetMetadata(
    API_PROBLEMS_KEY,
    problems.map((p) => (Array.isArray(p) ? documentedProblem(p[0], p[1]) : documentedProblem(p))),
  );

/** A response header as the OpenAPI document describes it. */
export interface DocumentedHeader {
  description: string;
  /** a JSON schema; `{ type: 'string' }` when absent */
  schema?: Record<string, unknown>;
}

/** Response headers of the operation's success (2xx) answers, besides X-Request-Id which every answer has. */
export const ApiSuccessHeaders = (headers: Record<string, DocumentedHeader>) => SetMetadata(API_SUCCESS_HEADERS_KEY, headers);
