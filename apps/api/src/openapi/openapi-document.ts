import { STATUS_CODES } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  DocumentBuilder,
  type HeadersObject,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type RequestBodyObject,
  type ResponseObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import {
  API_PROBLEMS_KEY,
  API_SUCCESS_HEADERS_KEY,
  BODY_LIMIT_BYTES,
  buildProblem,
  CommonErrors,
  type DocumentedHeader,
  type DocumentedProblem,
  documentedProblem,
  IS_PUBLIC_KEY,
  MFA_ENROLMENT_KEY,
  OPTIONAL_AUTH_KEY,
  Problem,
  ProblemException,
  ProblemFieldError,
  RECENT_AUTH_KEY,
  ROLES_KEY,
} from '@app/common';
import { ACCESS_TOKEN_PROBLEMS, AuthErrors, RATE_LIMIT_KEY, type RateLimitBucket } from '@app/auth';

const PROBLEM_JSON = 'application/problem+json';
const PROBLEM_REF = '#/components/schemas/Problem';
const BEARER = 'bearer';
const EXAMPLE_REQUEST_ID = '0f6c2b9e-5d7a-4c1e-9b8f-3a2d1e0c4b5a';

const TAGS: [string, string][] = [
  ['auth', 'Sign-up, sign-in, sessions of the caller (refresh, logout), email verification, password reset, cookie mode'],
  ['users', "The caller's profile, sessions, linked accounts and security activity"],
  ['oauth', 'Social sign-in (Google, GitHub): browser redirects, the one-time code exchange, linking'],
  ['admin', 'Users, sessions and the audit trail (role admin)'],
  ['health', 'Probes, detailed health and Prometheus metrics'],
];

/** Response headers every operation's answers may carry, referenced from each response. */
const HEADERS: Record<string, { description: string; schema: SchemaObject }> = {
  'X-Request-Id': {
    description: "The request's id: the client's X-Request-Id when it sent one, else generated; also `request_id` in problem documents",
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } },
  Location: { description: 'Where the redirect goes', schema: { type: 'string', format: 'uri' } },
};
const headerRef = (name: keyof typeof HEADERS): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/**
 * The OpenAPI document of the application, served at /docs-json and checked by `npm run lint:api`.
 *
 * @nestjs/swagger describes what the decorators say (paths, DTOs, summaries, success responses);
 * this adds what follows from how the API is built, so that it cannot drift per controller:
 * - `security`: bearer by default, `[]` on @Public routes, optional on @OptionalAuth ones;
 * - the error responses of every operation as `application/problem+json` (schema `Problem`, `code`
 *   narrowed to the codes listed), from the route's own @ApiProblems (catalogue entries) and the
 *   problems every route of its kind answers: 400 `validation_failed` when a DTO validates its
 *   input, 400 `invalid_json`/`bad_request`, 413 and 415 for JSON bodies, 401 on bearer routes, 403
 *   `forbidden` with @Roles, 429 `rate_limited` (with Retry-After) everywhere, and a default 500;
 * - response headers: X-Request-Id on every answer, Retry-After with 423/429, Location on
 *   redirects, the route's @ApiSuccessHeaders (Set-Cookie of cookie mode) on its 2xx answers.
 */
export function createOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Identity API')
    .setDescription(
      'Sign-up, sign-in, sessions, social login, email verification, password reset, roles, audit and health. ' +
        'Every error is an RFC 9457 problem document (`application/problem+json`, schema `Problem`) with a stable `code`; ' +
        'each error response lists the codes it can carry. Every answer carries `X-Request-Id`.',
    )
    .setVersion(config.app.version)
    .addServer(config.app.publicUrl, 'This API (PUBLIC_URL)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from login, refresh or the OAuth exchange' }, BEARER)
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'A service client of SERVICE_CLIENTS (id and secret): introspection only' }, 'service-client')
    .addSecurityRequirements(BEARER);
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [Problem, ProblemFieldError] });
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };

  const routes = routesOf(app);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const route = routes.get(operation.operationId ?? '');
      if (!route) throw new Error(`OpenAPI: no controller method for ${method.toUpperCase()} ${path} (operationId ${operation.operationId})`);
      describeOperation(document, operation, route);
    }
  }
  return document;
}

interface Route {
  controller: Type;
  handler: (...args: unknown[]) => unknown;
  name: string;
}

const reflector = new Reflector();

/** Controller methods by the operationId @nestjs/swagger gives them (`<Controller>_<method>`). */
function routesOf(app: INestApplication): Map<string, Route> {
  const routes = new Map<string, Route>();
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[name] as Route['handler'];
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const id: string = `${controller.name}_${name}`;
        if (routes.has(id) && routes.get(id)!.controller !== controller) throw new Error(`OpenAPI: two controllers named ${controller.name}`);
        routes.set(id, { controller, handler, name });
      }
    }
  }
  return routes;
}

function describeOperation(document: OpenAPIObject, operation: OperationObject, route: Route): void {
  const targets = [route.handler, route.controller];
  const isPublic = reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets);
  const optionalAuth = reflector.getAllAndOverride<boolean | undefined>(OPTIONAL_AUTH_KEY, targets);

  // bearer is the document's default; explicit everywhere so that each operation says what it takes
  if (optionalAuth) operation.security = [{ [BEARER]: [] }, {}];
  else if (!operation.security?.length) operation.security = isPublic ? [] : [{ [BEARER]: [] }];
  const bearer = operation.security.some((requirement) => BEARER in requirement);

  const jsonBody = jsonRequestBody(operation);
  const own = reflector.getAllAndMerge<DocumentedProblem[]>(API_PROBLEMS_KEY, targets);
  const problems: DocumentedProblem[] = [...own];
  if (validatesInput(route)) {
    const example = ProblemException.validation([{ field: exampleField(document, operation), message: 'is required' }]);
    problems.push(documentedProblem(example, '`errors` lists each refused field and why'));
  }
  if (jsonBody) {
    problems.push(
      ...[CommonErrors.invalidJson, CommonErrors.unreadableBody, CommonErrors.payloadTooLarge(BODY_LIMIT_BYTES), CommonErrors.unsupportedMediaType].map((p) =>
        documentedProblem(p),
      ),
    );
  }
  if (bearer) problems.push(...ACCESS_TOKEN_PROBLEMS.map((p) => documentedProblem(p, optionalAuth ? 'a bearer token was sent' : undefined)));
  if (reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, targets)?.length) problems.push(documentedProblem(CommonErrors.roleRequired));
  if (bearer && !optionalAuth && !reflector.getAllAndOverride<boolean | undefined>(MFA_ENROLMENT_KEY, targets)) {
    problems.push(documentedProblem(AuthErrors.mfaEnrollmentRequired, 'MFA_REQUIRED_ROLES lists the caller’s role and the caller has no factor yet'));
  }
  if (reflector.getAllAndOverride<boolean | undefined>(RECENT_AUTH_KEY, targets)) {
    problems.push(
      documentedProblem(AuthErrors.reauthRequired, 'the session last proved its user more than REAUTH_WINDOW seconds ago (POST /auth/reauthenticate)'),
    );
  }
  problems.push(
    documentedProblem(CommonErrors.rateLimited, throttleNote(reflector.getAllAndOverride<RateLimitBucket | undefined>(RATE_LIMIT_KEY, targets), bearer)),
  );

  const successHeaders = reflector.getAllAndMerge<Record<string, DocumentedHeader>>(API_SUCCESS_HEADERS_KEY, targets) ?? {};
  const responses = operation.responses;
  for (const [status, response] of Object.entries(responses) as [string, ResponseObject][]) {
    const code = Number(status);
    if (code < 400) {
      response.description ||= STATUS_CODES[code] ?? 'Success';
      response.headers = { ...response.headers, 'X-Request-Id': headerRef('X-Request-Id') };
      if (code >= 300) response.headers.Location = headerRef('Location');
      else
        for (const [name, header] of Object.entries(successHeaders))
          response.headers[name] = { description: header.description, schema: header.schema ?? { type: 'string' } };
    } else if (response.content) {
      // a body of its own on purpose (detailed health answers 503 with its report)
      response.headers = { ...response.headers, 'X-Request-Id': headerRef('X-Request-Id') };
    }
  }
  for (const [status, listed] of groupByStatus(problems)) {
    const declared = responses[status] as ResponseObject | undefined;
    // a response declared with a body of its own stays, unless the route lists problems of that status
    if (declared?.content && !own.some((p) => String(p.status) === status)) continue;
    responses[status] = problemResponse(listed, declared?.description);
  }
  // error responses declared without a body (and no catalogue entry for their status): still problem documents
  for (const [status, response] of Object.entries(responses) as [string, ResponseObject][]) {
    if (Number(status) >= 400 && !response.content) responses[status] = problemResponse([], response.description);
  }
  responses.default = {
    description: 'Unexpected failure: 500 `internal_error` (the body discloses nothing internal)',
    headers: { 'X-Request-Id': headerRef('X-Request-Id') },
    content: { [PROBLEM_JSON]: { schema: { $ref: PROBLEM_REF } } },
  };
}

function jsonRequestBody(operation: OperationObject): boolean {
  const body = operation.requestBody as RequestBodyObject | undefined;
  return !!body?.content && Object.keys(body.content).some((type) => type === 'application/json');
}

const PRIMITIVES: unknown[] = [String, Boolean, Number, Array, Object];
const VALIDATED: number[] = [RouteParamtypes.BODY, RouteParamtypes.QUERY, RouteParamtypes.PARAM];

/** Whether the global validation pipe checks some input of this route against a DTO (as AppValidationPipe decides). */
function validatesInput(route: Route): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.name) ?? {}) as Record<string, { index: number }>;
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype, route.name) ?? []) as unknown[];
  return Object.entries(args).some(([key, arg]) => VALIDATED.includes(Number(key.split(':')[0])) && !PRIMITIVES.includes(types[arg.index]));
}

/** A field the operation takes, for the example of its 400 validation_failed. */
function exampleField(document: OpenAPIObject, operation: OperationObject): string {
  const body = (operation.requestBody as RequestBodyObject | undefined)?.content?.['application/json']?.schema as ReferenceObject | undefined;
  const schema = body?.$ref ? (document.components?.schemas?.[body.$ref.split('/').pop()!] as SchemaObject | undefined) : undefined;
  const first = schema?.required?.[0] ?? Object.keys(schema?.properties ?? {})[0];
  if (first) return first;
  const parameter = (operation.parameters ?? []).find((p) => 'name' in p && (p.in === 'query' || p.in === 'path'));
  return parameter && 'name' in parameter ? parameter.name : 'body';
}

function throttleNote(bucket: RateLimitBucket | undefined, bearer: boolean): string {
  const limit = bucket ? `THROTTLE_${bucket.toUpperCase()}_LIMIT` : 'THROTTLE_LIMIT';
  const scope =
    bucket === 'email' ? 'per client and per target address' : bucket || !bearer ? 'per client' : 'per user (per client without a valid access token)';
  return `more than ${limit} requests per THROTTLE_TTL ${scope}`;
}

/** The problems by status, each code once (the first entry of a code wins: the route's own before the derived ones). */
function groupByStatus(problems: DocumentedProblem[]): Map<string, DocumentedProblem[]> {
  const groups = new Map<string, DocumentedProblem[]>();
  for (const problem of problems) {
    const group = groups.get(String(problem.status)) ?? [];
    if (!group.some((p) => p.code === problem.code)) group.push(problem);
    groups.set(String(problem.status), group);
  }
  return new Map([...groups].sort(([a], [b]) => Number(a) - Number(b)));
}

function problemResponse(problems: DocumentedProblem[], note?: string): ResponseObject {
  const lines = problems.map((p) => `\`${p.code}\`: ${p.detail}${p.when ? ` (${p.when})` : ''}`);
  const listed = lines.length > 1 ? lines.map((line) => `- ${line}`).join('\n') : (lines[0] ?? '');
  const description = [listed, note && !problems.length ? note : undefined].filter(Boolean).join('\n\n') || 'Problem document';
  const headers: HeadersObject = { 'X-Request-Id': headerRef('X-Request-Id') };
  for (const name of new Set(problems.flatMap((p) => p.headers))) {
    headers[name] = name in HEADERS ? headerRef(name as keyof typeof HEADERS) : { schema: { type: 'string' } };
  }
  const codes = problems.map((p) => p.code);
  const schema: SchemaObject | ReferenceObject = codes.length
    ? { allOf: [{ $ref: PROBLEM_REF }, { type: 'object', properties: { code: { type: 'string', enum: codes } } }] }
    : { $ref: PROBLEM_REF };
  const examples = Object.fromEntries(
    problems.map((p) => [p.code, { summary: p.detail, value: buildProblem(p.status, p.code, p.detail, EXAMPLE_REQUEST_ID, p.errors) }]),
  );
  return { description, headers, content: { [PROBLEM_JSON]: { schema, ...(problems.length ? { examples } : {}) } } };
}
