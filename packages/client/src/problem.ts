import type { components, operations } from './schema';

export type Problem = components['schemas']['Problem'];
export type ProblemFieldError = components['schemas']['ProblemFieldError'];

/** The problem codes one response object documents (never: a success, or a response without narrowed codes). */
type CodesOfResponse<R> = R extends { content: { 'application/problem+json': { code: infer C } } } ? (string extends C ? never : C) : never;

/** The problem codes an operation documents, e.g. `ProblemCodeOf<'AuthController_login'>`. */
export type ProblemCodeOf<Op extends keyof operations> = {
  [S in keyof operations[Op]['responses']]: CodesOfResponse<operations[Op]['responses'][S]>;
}[keyof operations[Op]['responses']];

/** Every problem code the OpenAPI document names, plus the client's own `unexpected_response`. */
export type KnownProblemCode = { [Op in keyof operations]: ProblemCodeOf<Op> }[keyof operations] | 'unexpected_response';

/** A known code, or a newer one this client does not know yet (still a string). */
export type ProblemCode = KnownProblemCode | (string & Record<never, never>);

/**
 * A problem document (RFC 9457) answered by the API, as an Error: what the helpers throw, and what
 * a call rejects with when the session could not be renewed. The fields are the document's
 * (snake_case, like the API); `retry_after` comes from the Retry-After header (423, 429).
 */
export class IdentityProblemError extends Error {
  override readonly name = 'IdentityProblemError';
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly request_id: string | undefined;
  readonly errors: ProblemFieldError[];
  readonly retry_after: number | undefined;

  constructor(problem: Problem, retryAfter?: number) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.request_id = problem.request_id;
    this.errors = problem.errors ?? [];
    this.retry_after = retryAfter;
  }

  /** Narrows `code`: `if (err.is('invalid_credentials', 'account_locked')) …`. */
  is<C extends KnownProblemCode>(...codes: C[]): this is IdentityProblemError & { code: C } {
    return (codes as string[]).includes(this.code);
  }

  /**
   * The error for a non-2xx answer. `body` is what openapi-fetch parsed (the problem document, or the
   * text of an answer that is not one, e.g. a proxy's HTML page: then the code is `unexpected_response`).
   */
  static fromResponse(response: Response, body: unknown): IdentityProblemError {
    const header = response.headers.get('Retry-After');
    const retryAfter = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
    const doc: Partial<Problem> = isProblemDocument(body)
      ? body
      : { code: 'unexpected_response', detail: `HTTP ${response.status} without a problem document` };
    return new IdentityProblemError(
      {
        type: doc.type ?? 'about:blank',
        title: doc.title ?? response.statusText,
        status: doc.status ?? response.status,
        code: doc.code ?? 'unexpected_response',
        detail: doc.detail ?? '',
        request_id: doc.request_id ?? response.headers.get('X-Request-Id') ?? undefined,
        errors: doc.errors,
      },
      retryAfter,
    );
  }
}

/** `err` is an IdentityProblemError (with one of `codes`, when given). */
export function isIdentityProblem<C extends KnownProblemCode>(err: unknown, ...codes: C[]): err is IdentityProblemError & { code: C } {
  return err instanceof IdentityProblemError && (codes.length === 0 || err.is(...codes));
}

function isProblemDocument(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const p = body as Record<string, unknown>;
  return typeof p.status === 'number' && typeof p.code === 'string';
}

/**
 * The data of a raw call, or its problem thrown: `const page = await unwrap(client.api.GET('/api/v1/admin/users'))`.
 * (openapi-fetch types `error.code` of a raw call as `string`, because every operation also documents a
 * `default` problem response; use IdentityProblemError.is or ProblemCodeOf to branch on codes.)
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw IdentityProblemError.fromResponse(response, error);
  return data as T;
}
