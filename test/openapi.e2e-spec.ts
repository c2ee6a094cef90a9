import { randomUUID } from 'node:crypto';
import helmet from 'helmet';
import type { Response } from 'supertest';
import { generateOpenApiDocument } from '../apps/api/src/openapi/generate-openapi';
import { bearer, forge, login, PASSWORD, register, registerAndLogin, uniqueEmail } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The OpenAPI document (/docs-json) against the server that serves it: the rules a generated
 * client relies on (summaries, problem documents on every error, security, the codes listed), and
 * real answers of the server checked against what the document lists for them.
 */

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  enum?: string[];
  format?: string;
}
interface Media {
  schema?: Schema;
  examples?: Record<string, { value: { code: string; status: number } }>;
}
interface ResponseDoc {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, Media>;
}
interface Parameter {
  name: string;
  in: string;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, ResponseDoc>;
}
interface Document {
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema & { required?: string[] }>; headers: Record<string, unknown> };
}
interface Op {
  method: string;
  path: string;
  op: Operation;
}

const PROBLEM_JSON = 'application/problem+json';
const PROBLEM_REF = '#/components/schemas/Problem';
/** Non-2xx answers with a body of their own on purpose: detailed health's 503 is its JSON report (API.md "Health"). */
const OWN_BODY = ['GET /api/v1/health/detailed 503', 'GET /api/v1/health/database 503'];
const ACCESS_TOKEN_CODES = ['unauthorized', 'token_expired', 'token_invalid', 'token_revoked'];

const label = ({ method, path }: { method: string; path: string }) => `${method.toUpperCase()} ${path}`;

function operations(doc: Document): Op[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
}

function problemSchemaRef(media: Media | undefined): string | undefined {
  return media?.schema?.$ref ?? media?.schema?.allOf?.[0]?.$ref;
}

/** The codes an error response of the document lists (the enum that narrows Problem.code). */
function listedCodes(response: ResponseDoc | undefined): string[] {
  return response?.content?.[PROBLEM_JSON]?.schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

const requiresBearer = (op: Operation) => !!op.security?.length && op.security.every((requirement) => 'bearer' in requirement);
const isPublic = (op: Operation) => Array.isArray(op.security) && op.security.length === 0;
const takesJson = (op: Operation) => !!op.requestBody?.content['application/json'];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;

  beforeAll(async () => {
    t = await startTestApp({ THROTTLE_EMAIL_LIMIT: '2', LOCKOUT_THRESHOLD: '3' });
    const res = await t.http().get('/docs-json').expect(200);
    doc = res.body;
  });
  afterAll(() => t.close());

  /** Checks a real answer against the document: status listed, a problem document with a listed code, the listed headers present. */
  function expectDocumented(method: string, path: string, res: Response): void {
    const op = doc.paths[path]?.[method.toLowerCase()];
    const where = `${method} ${path} → ${res.status} ${res.body?.code ?? ''}`;
    if (!op) throw new Error(`${where}: no such operation in the document`);
    const response = op.responses[String(res.status)];
    if (!response) throw new Error(`${where}: status not in the document (documented: ${Object.keys(op.responses).join(', ')})`);
    for (const header of Object.keys(response.headers ?? {}).filter((h) => h !== 'Set-Cookie' && h !== 'X-CSRF-Token')) {
      // cookie mode's headers are documented on the status and present only in cookie mode
      expect({ where, header, present: res.headers[header.toLowerCase()] !== undefined }).toEqual({ where, header, present: true });
    }
    if (res.status < 400 || OWN_BODY.includes(`${method} ${path} ${res.status}`)) return;
    expect({ where, type: res.headers['content-type'] }).toEqual({ where, type: expect.stringMatching(/^application\/problem\+json/) });
    expect({ where, code: res.body.code, listed: listedCodes(response) }).toEqual({
      where,
      code: res.body.code,
      listed: expect.arrayContaining([res.body.code]),
    });
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  }

  /** A value for a path parameter: a UUID where the document says uuid, the first of an enum, else a word. */
  function pathFor({ path, op }: Op): string {
    return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const schema = op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema;
      return schema?.format === 'uuid' ? randomUUID() : (schema?.enum?.[0] ?? 'x');
    });
  }

  function send({ method, op }: Op, path: string) {
    const req = t.http()[method as 'get' | 'post' | 'put' | 'patch' | 'delete'](path);
    return takesJson(op) ? req.send({}) : req;
  }

  it('is served with the API as its server and bearer as the default security', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: t.config.app.publicUrl })]);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'code', 'detail']));
    expect(Object.keys(doc.components.schemas.Problem.properties ?? {})).toEqual(['type', 'title', 'status', 'code', 'detail', 'request_id', 'errors']);
    expect(operations(doc).length).toBeGreaterThan(30);
  });

  it('is what `npm run lint:api` checks: the document built without a server equals the one served', async () => {
    const generated = JSON.parse(JSON.stringify(await generateOpenApiDocument(t.config)));
    expect(generated).toEqual(doc);
  });

  it('gives every operation a summary and says of every one which security it takes', () => {
    const all = operations(doc);
    expect(all.filter(({ op }) => !op.summary?.trim()).map(label)).toEqual([]);
    expect(all.filter(({ op }) => !Array.isArray(op.security)).map(label)).toEqual([]);
  });

  it('answers every error as application/problem+json with the Problem schema, listing the codes of each status', () => {
    const wrong: string[] = [];
    for (const o of operations(doc)) {
      for (const [status, response] of Object.entries(o.op.responses)) {
        if (status !== 'default' && Number(status) < 400) continue;
        const where = `${label(o)} ${status}`;
        if (OWN_BODY.includes(where)) continue;
        const media = response.content?.[PROBLEM_JSON];
        if (!media || Object.keys(response.content ?? {}).length !== 1) wrong.push(`${where}: not (only) ${PROBLEM_JSON}`);
        else if (problemSchemaRef(media) !== PROBLEM_REF) wrong.push(`${where}: schema is not the Problem`);
        else if (!response.headers?.['X-Request-Id']) wrong.push(`${where}: no X-Request-Id header`);
        if (status === 'default') continue;
        const codes = listedCodes(response);
        if (!codes.length) wrong.push(`${where}: lists no code`);
        for (const [name, example] of Object.entries(media?.examples ?? {})) {
          if (!codes.includes(example.value.code) || example.value.status !== Number(status))
            wrong.push(`${where}: example ${name} is not a listed code of the status`);
        }
        if (['423', '429'].includes(status) && !response.headers?.['Retry-After']) wrong.push(`${where}: no Retry-After header`);
      }
      if (!o.op.responses.default) wrong.push(`${label(o)}: no default (500) response`);
      if (!listedCodes(o.op.responses['429']).includes('rate_limited')) wrong.push(`${label(o)}: no 429 rate_limited`);
    }
    expect(wrong).toEqual([]);
  });

  it('declares the 401s of the access token on bearer routes, and 400/413/415 on JSON-body routes', () => {
    const wrong: string[] = [];
    for (const o of operations(doc)) {
      if (o.op.security?.some((requirement) => 'bearer' in requirement)) {
        const codes = listedCodes(o.op.responses['401']);
        if (!ACCESS_TOKEN_CODES.every((code) => codes.includes(code))) wrong.push(`${label(o)}: 401 lists ${codes.join(',') || 'nothing'}`);
      }
      if (takesJson(o.op)) {
        if (!['validation_failed', 'invalid_json'].every((code) => listedCodes(o.op.responses['400']).includes(code))) wrong.push(`${label(o)}: 400`);
        if (!listedCodes(o.op.responses['413']).includes('payload_too_large')) wrong.push(`${label(o)}: 413`);
        if (!listedCodes(o.op.responses['415']).includes('unsupported_media_type')) wrong.push(`${label(o)}: 415`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('documents X-Auth-Mode as an enum and the cookies of cookie mode', () => {
    for (const [method, path] of [
      ['post', '/api/v1/auth/login'],
      ['post', '/api/v1/auth/refresh'],
      ['post', '/api/v1/oauth/exchange'],
      ['post', '/api/v1/auth/logout'],
    ]) {
      const op = doc.paths[path][method];
      expect(op.parameters?.find((p) => p.name === 'X-Auth-Mode')).toMatchObject({ in: 'header', schema: { enum: ['cookie'] } });
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'))![1];
      expect({ path, headers: Object.keys(success.headers ?? {}) }).toEqual({ path, headers: expect.arrayContaining(['X-Request-Id', 'Set-Cookie']) });
    }
    expect(Object.keys(doc.paths['/api/v1/auth/csrf'].get.responses['200'].headers ?? {})).toEqual(expect.arrayContaining(['Set-Cookie', 'X-CSRF-Token']));
  });

  it('matches the server on every operation called without credentials: public ones do not ask for a token, bearer ones answer 401 unauthorized', async () => {
    const wrong: string[] = [];
    for (const o of operations(doc)) {
      const res = await send(o, pathFor(o));
      if (isPublic(o.op) && res.status === 401 && res.body.code === 'unauthorized') wrong.push(`${label(o)}: documented public, answers 401 unauthorized`);
      if (requiresBearer(o.op) && !(res.status === 401 && res.body.code === 'unauthorized'))
        wrong.push(`${label(o)}: documented bearer, answers ${res.status}`);
      expectDocumented(o.method.toUpperCase(), o.path, res);
    }
    expect(wrong).toEqual([]);
  });

  it('matches the body parser on every JSON-body operation: 415, 413 and 400 invalid_json are listed answers', async () => {
    for (const o of operations(doc).filter(({ op }) => takesJson(op))) {
      const method = o.method as 'post' | 'put' | 'patch';
      const path = pathFor(o);
      const call = () => t.http()[method](path);
      const wrongType = await call().set('Content-Type', 'text/plain').send('hello');
      expect(wrongType.status).toBe(415);
      expectDocumented(o.method.toUpperCase(), o.path, wrongType);
      const tooLarge = await call()
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ pad: 'x'.repeat(17 * 1024) }));
      expect(tooLarge.status).toBe(413);
      expectDocumented(o.method.toUpperCase(), o.path, tooLarge);
      const malformed = await call().set('Content-Type', 'application/json').send('{"email":');
      expect(malformed.body.code).toBe('invalid_json');
      expectDocumented(o.method.toUpperCase(), o.path, malformed);
    }
  });

  it('lists the codes the server really answers with (a sample of each kind)', async () => {
    const user = await registerAndLogin(t);
    const auth = bearer(user.tokens.access_token);
    const check = (method: string, path: string, res: Response, status: number, code?: string) => {
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status, code: code ?? res.body.code });
      expectDocumented(method, path, res);
    };

    check(
      'POST',
      '/api/v1/auth/login',
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password-1' }),
      401,
      'invalid_credentials',
    );
    check('POST', '/api/v1/auth/login', await t.http().post('/api/v1/auth/login').send({ email: user.email }), 400, 'validation_failed');
    check('POST', '/api/v1/auth/register', await t.http().post('/api/v1/auth/register').send({ email: user.email, password: PASSWORD }), 409, 'email_taken');
    check('POST', '/api/v1/auth/refresh', await t.http().post('/api/v1/auth/refresh').send({ refresh_token: 'not-a-token' }), 401, 'invalid_refresh_token');
    check('POST', '/api/v1/auth/refresh', await t.http().post('/api/v1/auth/refresh').set('X-Auth-Mode', 'cookie').send({}), 401, 'invalid_refresh_token');
    check('GET', '/api/v1/auth/csrf', await t.http().get('/api/v1/auth/csrf'), 401, 'invalid_refresh_token');
    const changed = await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...auth)
      .send({ current_password: 'wrong-password-1', new_password: 'An0ther-Passphrase-here' });
    check('POST', '/api/v1/auth/password/change', changed, 400, 'invalid_current_password');
    check(
      'PUT',
      '/api/v1/users/profile',
      await t
        .http()
        .put('/api/v1/users/profile')
        .set(...auth)
        .send({ role: 'admin' }),
      400,
      'validation_failed',
    );
    check(
      'GET',
      '/api/v1/users/sessions',
      await t
        .http()
        .get('/api/v1/users/sessions?cursor=nonsense')
        .set(...auth),
      400,
      'validation_failed',
    );
    check(
      'DELETE',
      '/api/v1/users/sessions/{id}',
      await t
        .http()
        .delete(`/api/v1/users/sessions/${randomUUID()}`)
        .set(...auth),
      404,
      'not_found',
    );
    check(
      'GET',
      '/api/v1/admin/users',
      await t
        .http()
        .get('/api/v1/admin/users')
        .set(...auth),
      403,
      'forbidden',
    );
    check(
      'GET',
      '/api/v1/auth/me',
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer('not.a.jwt')),
      401,
    );
    const expired = forge(t, { sub: user.id, sid: user.tokens.session_id, exp: Math.floor(Date.now() / 1000) - 60 });
    check(
      'GET',
      '/api/v1/auth/me',
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(expired)),
      401,
      'token_expired',
    );
    check(
      'GET',
      '/api/v1/auth/me',
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(forge(t, { sub: user.id, sid: user.tokens.session_id }, { secret: 'x'.repeat(40) }))),
      401,
      'token_invalid',
    );
    check('POST', '/api/v1/oauth/exchange', await t.http().post('/api/v1/oauth/exchange').send({ code: 'never-issued' }), 400, 'invalid_token');
    check('GET', '/api/v1/oauth/{provider}/initiate', await t.http().get('/api/v1/oauth/google/initiate'), 404, 'not_found');
    check('POST', '/api/v1/auth/verify-email', await t.http().post('/api/v1/auth/verify-email').send({ token: 'never-issued' }), 400, 'invalid_token');
    const reset = await t.http().post('/api/v1/auth/password-reset/complete').send({ token: 'never-issued', password: 'An0ther-Passphrase-here' });
    check('POST', '/api/v1/auth/password-reset/complete', reset, 400, 'invalid_token');
    check(
      'GET',
      '/api/v1/health/detailed',
      await t
        .http()
        .get('/api/v1/health/detailed')
        .set(...auth),
      403,
      'forbidden',
    );

    // a session revoked: its access token is token_revoked
    const other = await login(t, user.email);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(other.access_token))
      .expect(204);
    check(
      'GET',
      '/api/v1/users/profile',
      await t
        .http()
        .get('/api/v1/users/profile')
        .set(...bearer(other.access_token)),
      401,
      'token_revoked',
    );

    // cookie mode: the documented Set-Cookie comes with the success
    const cookie = await t.http().post('/api/v1/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: PASSWORD });
    check('POST', '/api/v1/auth/login', cookie, 200);
    expect(cookie.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/^refresh_token=/), expect.stringMatching(/^csrf_token=/)]));
  });

  it('lists 423 account_locked (its own response, with Retry-After) for the login that locks', async () => {
    const { email } = await register(t, uniqueEmail('locked'));
    let res: Response | undefined;
    for (let i = 0; i < 5 && res?.status !== 423; i++) res = await t.http().post('/api/v1/auth/login').send({ email, password: 'wrong-password-1' });
    expect(res!.status).toBe(423);
    expectDocumented('POST', '/api/v1/auth/login', res!);
    expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
    expect(listedCodes(doc.paths['/api/v1/auth/login'].post.responses['429'])).toEqual(['rate_limited']);
  });

  it('lists 429 rate_limited with Retry-After where the throttle answers it', async () => {
    let res: Response | undefined;
    for (let i = 0; i < 5 && res?.status !== 429; i++)
      res = await t
        .http()
        .post('/api/v1/auth/password-reset')
        .send({ email: uniqueEmail('throttled') });
    expect(res!.status).toBe(429);
    expectDocumented('POST', '/api/v1/auth/password-reset', res!);
    expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
  });
});

/** A Content-Security-Policy header as directive → sources. */
function parseCsp(header: string | undefined): Record<string, string[]> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** The API's own policy: helmet's defaults, upgrade-insecure-requests included. */
const API_CSP: Record<string, string[]> = Object.fromEntries(
  Object.entries(helmet.contentSecurityPolicy.getDefaultDirectives()).map(([name, sources]) => [name, [...(sources as Iterable<string>)]]),
);
const DOCS_PAGE = ['/docs', '/docs/', '/docs/swagger-ui-init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css'];

describe('/docs and the content security policy', () => {
  it('lets Swagger UI load over plain http on any host: no upgrade-insecure-requests on /docs and its files, the API keeps the strict policy', async () => {
    const t = await startTestApp({ PUBLIC_URL: 'http://idp.internal:3000' });
    try {
      expect(API_CSP['upgrade-insecure-requests']).toEqual([]);
      const { 'upgrade-insecure-requests': _upgrade, ...relaxed } = API_CSP;
      for (const path of DOCS_PAGE) {
        const res = await t.http().get(path).set('Host', 'idp.internal:3000');
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect({ path, csp: parseCsp(res.headers['content-security-policy']) }).toEqual({
          path,
          csp: { ...relaxed, 'connect-src': ["'self'", 'http://idp.internal:3000'] },
        });
      }
      const api: [string, Response][] = [
        ['GET /api/v1/auth/me', await t.http().get('/api/v1/auth/me')],
        ['POST /api/v1/auth/login', await t.http().post('/api/v1/auth/login').send({})],
        ['GET /health', await t.http().get('/health')],
        ['GET /docs-json', await t.http().get('/docs-json')],
        ['GET /api/v1/docs', await t.http().get('/api/v1/docs')],
        ['GET /api/v1/no-such-route', await t.http().get('/api/v1/no-such-route')],
      ];
      for (const [path, res] of api) {
        expect({ path, csp: parseCsp(res.headers['content-security-policy']) }).toEqual({ path, csp: API_CSP });
      }
    } finally {
      await t.close();
    }
  });

  it('keeps upgrade-insecure-requests on /docs when PUBLIC_URL is https', async () => {
    const t = await startTestApp({ PUBLIC_URL: 'https://idp.example.org' });
    try {
      for (const path of DOCS_PAGE) {
        const csp = parseCsp((await t.http().get(path)).headers['content-security-policy']);
        expect({ path, csp }).toEqual({ path, csp: { ...API_CSP, 'connect-src': ["'self'", 'https://idp.example.org'] } });
      }
    } finally {
      await t.close();
    }
  });
});
