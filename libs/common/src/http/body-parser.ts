import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseQuery, unescape as unescapeUtf8 } from 'node:querystring';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CommonErrors } from '../errors/common-errors';
import { ProblemException } from '../errors/problem.exception';

export const BODY_LIMIT_BYTES = 16 * 1024;
export const FORM_TYPE = 'application/x-www-form-urlencoded';
/** Keys that mean prototype pollution to some consumer of the body, whatever our own code does with them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;
/** As body-parser's urlencoded `parameterLimit`. */
const MAX_FORM_PARAMETERS = 1000;

/** media-typer's test of a `type/subtype` (what type-is accepts; parameters are not looked at) */
const MEDIA_TYPE = /^ *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})\/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *$/;

type BodyKind = 'json' | 'form';
type Headers = { headers: IncomingHttpHeaders };

/**
 * What a Content-Type header announces, as `type-is` (Express's `req.is`) decides it: `json` for
 * `application/json` and `application/*+json`, `form` for form-encoded, null for anything else
 * and for a media type that does not parse (parameters are not checked).
 */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (!contentType) return null;
  const type = contentType.split(';', 1)[0];
  if (!MEDIA_TYPE.test(type)) return null;
  const mediaType = type.trim().toLowerCase();
  if (mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'))) return 'json';
  return mediaType === FORM_TYPE ? 'form' : null;
}

/** Whether the request carries a body (Content-Length > 0 or chunked). */
export function hasBody(req: Headers): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** A form-encoded body (FormBodyGuard, and routes that answer a browser form differently). */
export function isFormBody(req: Headers): boolean {
  return hasBody(req) && bodyKind(req.headers['content-type']) === 'form';
}

/**
 * Body handling, before Nest sees the request (its failures reach the problem-details filter
 * through Fastify's error handler): JSON (`application/json` and `+json`) and form-encoded bodies
 * are parsed, limited to 16 KiB; a body of any other type is 415 `unsupported_media_type`, for
 * every method and before routing (unknown routes included); keys `__proto__`, `constructor` and
 * `prototype` anywhere in a body are 400 `validation_failed`. Form bodies are accepted only by the
 * routes marked `@AcceptsForm()` (FormBodyGuard), so form posts from other sites cannot reach JSON
 * routes (a "simple" cross-site request needs no CORS preflight).
 *
 * Fastify's own parsers are replaced by one catch-all parser, so that what is parsed and every
 * answer (codes and details) stay those of body-parser, which the API had on Express: strict JSON
 * (an object or array), `extended: false` forms, gzip/deflate/br bodies inflated, the limit
 * applied to the inflated size. Fastify parses no body of a GET, HEAD or TRACE by default;
 * body-parser did (a malformed or polluted body was refused whatever the method), so those
 * methods are declared as methods with a body.
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  for (const method of ['GET', 'HEAD', 'TRACE']) fastify.addHttpMethod(method, { hasBody: true, overrideExisting: true });
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!hasBody(request) || bodyKind(request.headers['content-type']) !== null) return done();
    done(CommonErrors.unsupportedMediaType());
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) => {
    parseBody(request, payload).then(
      (body) => done(null, body),
      (err: Error) => done(err),
    );
  });
}

async function parseBody(request: FastifyRequest, payload: Readable): Promise<unknown> {
  const kind = bodyKind(request.headers['content-type']);
  // bodies of other types are refused by the hook above; this is a request without one
  if (kind === null || !hasBody(request)) return undefined;
  const charset = charsetOf(request.headers['content-type']!, kind);
  const text = decode(await readBody(request.headers, payload), charset);
  const body = kind === 'json' ? parseJson(text) : parseForm(text, charset);
  const path = forbiddenKeyPath(body, 'body', 0);
  if (path !== null) throw ProblemException.validation([{ field: path, message: 'is not an allowed key' }]);
  return body;
}

type Charset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'iso-8859-1';

/** body-parser's charset rules: JSON in UTF-8 or UTF-16, forms in UTF-8 or ISO-8859-1 (default UTF-8). */
function charsetOf(contentType: string, kind: BodyKind): Charset {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  const charset = (match?.[1] ?? 'utf-8').toLowerCase();
  const accepted: readonly string[] = kind === 'json' ? ['utf-8', 'utf8', 'utf-16le', 'utf-16be'] : ['utf-8', 'utf8', 'iso-8859-1'];
  if (!accepted.includes(charset)) throw unsupportedEncoding();
  return charset === 'utf8' ? 'utf-8' : (charset as Charset);
}

function decode(bytes: Buffer, charset: Charset): string {
  // a leading byte-order mark is dropped, as iconv-lite (body-parser) and TextDecoder do
  if (charset === 'utf-8') return bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (charset === 'iso-8859-1') return bytes.toString('latin1');
  return new TextDecoder(charset).decode(bytes);
}

/** body-parser's strict JSON: an object or an array, else 400 invalid_json. */
function parseJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw invalidJson();
  try {
    return JSON.parse(text);
  } catch {
    throw invalidJson();
  }
}

/** `urlencoded({ extended: false })`: flat keys, repeated keys become arrays, at most 1000 parameters. */
function parseForm(text: string, charset: Charset): Record<string, unknown> {
  if (text.length === 0) return {};
  if (text.split('&').length > MAX_FORM_PARAMETERS) throw new ProblemException(413, 'bad_request', 'The request body could not be read');
  const decodeURIComponent = charset === 'iso-8859-1' ? latin1Unescape : unescapeUtf8;
  // a plain object, like body-parser's (querystring returns one without a prototype)
  return Object.fromEntries(Object.entries(parseQuery(text, '&', '=', { maxKeys: 0, decodeURIComponent })));
}

function latin1Unescape(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Reads the body as raw-body does: Content-Length and the limit checked, compressed bodies inflated. */
function readBody(headers: IncomingHttpHeaders, payload: Readable): Promise<Buffer> {
  const encoding = String(headers['content-encoding'] ?? 'identity').toLowerCase();
  const declared = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  let inflater: Transform | undefined;
  switch (encoding) {
    case 'identity':
      if (declared !== undefined && declared > BODY_LIMIT_BYTES) return Promise.reject(tooLarge());
      break;
    case 'gzip':
      inflater = createGunzip();
      break;
    case 'deflate':
      inflater = createInflate();
      break;
    case 'br':
      inflater = createBrotliDecompress();
      break;
    default:
      return Promise.reject(unsupportedEncoding());
  }
  const stream: Readable = inflater ? payload.pipe(inflater) : payload;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (err: Error | null) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (inflater) {
        payload.unpipe(inflater);
        if (err) inflater.destroy();
      }
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > BODY_LIMIT_BYTES) return finish(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (encoding === 'identity' && declared !== undefined && received !== declared) return finish(unreadable());
      finish(null);
    };
    // a broken compressed stream, or the client going away
    const onError = () => finish(unreadable());
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
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

const tooLarge = () => CommonErrors.payloadTooLarge(BODY_LIMIT_BYTES);
const invalidJson = () => CommonErrors.invalidJson();
const unsupportedEncoding = () => CommonErrors.unsupportedEncoding();
const unreadable = () => CommonErrors.unreadableBody();
