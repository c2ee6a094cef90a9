import type { IncomingMessage } from 'node:http';
import type { NodeSDK, NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/**
 * Optional OpenTelemetry traces. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and then at no
 * cost at all: this file loads no OpenTelemetry module (the imports above are types, erased at
 * compile time). On, the NodeSDK starts before the entry point requires anything else (each app's
 * `tracing.ts`, its first import), because the instrumentations patch http, fastify,
 * @nestjs/core, pg and ioredis as they are loaded.
 *
 * Export: OTLP over HTTP, protobuf by default (the standard's), JSON with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json. The SDK reads the other standard variables itself:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT,
 * OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS,
 * OTEL_LOG_LEVEL, OTEL_SDK_DISABLED. Traces only: metrics are Prometheus' (/metrics) unless
 * OTEL_METRICS_EXPORTER asks for more, and logs stay pino's lines on stdout (they carry trace_id).
 */

type SpanExporter = NodeSDKConfiguration['traceExporter'];
type Attributes = Record<string, unknown>;

let sdk: NodeSDK | undefined;

/** Probes and scrapes: a request every few seconds from every load balancer, worth no trace. */
const UNTRACED_PATHS = new Set(['/health', '/api/v1/health/live', '/api/v1/health/ready', '/metrics']);

export function isUntracedRequest(url: string | undefined): boolean {
  const path = (url ?? '')
    .split('?')[0]
    .toLowerCase()
    .replace(/(.)\/+$/, '$1');
  return UNTRACED_PATHS.has(path);
}

/**
 * Query parameters that carry secrets (verification and reset tokens, OAuth codes and state):
 * the same list as the request log's `redactUrl` (libs/common), whose values never leave the
 * process in a log line, nor in a span.
 */
const SECRET_PARAMS = /([?&](?:token|code|state|refresh_token|access_token|password)=)[^&#]*/gi;
/** The attributes in which the instrumentations record a request's URL with its query string. */
const URL_ATTRIBUTES = ['url.full', 'url.path', 'url.query', 'http.target', 'http.url'];

/** Masks secret query parameters in a span's URL attributes (the HTTP, Fastify and Nest spans all record one). */
export function redactUrlAttributes(attributes: Attributes): void {
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value !== 'string') continue;
    // url.query has no leading "?"
    attributes[key] = key === 'url.query' ? `?${value}`.replace(SECRET_PARAMS, '$1REDACTED').slice(1) : value.replace(SECRET_PARAMS, '$1REDACTED');
  }
}

/** The exporter, wrapped so that no secret of a URL reaches the collector. */
class RedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}
  export(...[spans, done]: Parameters<SpanExporter['export']>): void {
    for (const span of spans) redactUrlAttributes(span.attributes as Attributes);
    this.inner.export(spans, done);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The endpoint that turns tracing on, when it is an http(s) URL; a bad value is `loadConfig`'s to report. */
export function tracingEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!value) return undefined;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** OTEL_SERVICE_NAME, else a `service.name` in OTEL_RESOURCE_ATTRIBUTES, else this process's default. */
function serviceName(defaultName: string): string | undefined {
  const name = process.env.OTEL_SERVICE_NAME?.trim();
  if (name) return name;
  return /(^|,)\s*service\.name\s*=/.test(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '') ? undefined : defaultName;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on, see above */
function exporter(): SpanExporter {
  const protocol = (process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || '').trim();
  // endpoint (+ /v1/traces), headers, timeout and compression: from the OTEL_EXPORTER_OTLP_* variables
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

function instrumentations() {
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core') as typeof import('@opentelemetry/instrumentation-nestjs-core');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  return [
    // an ignored request runs with tracing suppressed: no Fastify, Nest, pg or Redis span either
    new HttpInstrumentation({ ignoreIncomingRequestHook: (request: IncomingMessage) => isUntracedRequest(request.url) }),
    // every Fastify instance, Nest's included, gets the plugin as it is created (diagnostics
    // channel); a span for the request and one for the route handler, none per hook (a dozen
    // per request, from Nest's, CORS's and the cookie plugin's hooks, each with its own cost)
    new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false }),
    new NestInstrumentation(),
    // queries and commands inside a traced request (or the app's creation) only: not a
    // background job's poll every second, which would be a trace of its own each time. SQL is
    // recorded with its placeholders, never the values (enhancedDatabaseReporting stays off).
    new PgInstrumentation({ requireParentSpan: true }),
    // the command's name only: arguments hold session state, emails, one-time codes, and some
    // keys are secrets themselves (OAuth state, exchange codes)
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command: string) => command }),
  ];
}

/**
 * Starts the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set; `defaultServiceName` (e.g.
 * `identity-api`) unless OTEL_SERVICE_NAME says otherwise. Returns whether it started.
 */
export function startTracing(defaultServiceName: string): boolean {
  if (sdk) return true;
  if (!tracingEndpoint()) return false;
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  sdk = new NodeSDK({
    serviceName: serviceName(defaultServiceName),
    // batched as OTEL_BSP_* say (the SDK builds the processor around the exporter)
    traceExporter: new RedactingExporter(exporter()),
    instrumentations: instrumentations(),
    ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    logRecordProcessors: [],
  });
  sdk.start();
  return true;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** How long a shutdown waits for the last spans to leave: a collector that does not answer must not hold the exit. */
const FLUSH_TIMEOUT_MS = 5_000;

/** Exports the spans still buffered and stops the SDK (graceful shutdown); nothing to do when tracing is off. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([running.shutdown().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For processes whose shutdown is Nest's own (`enableShutdownHooks`, the worker): a provider that
 * flushes the spans when the application closes. A plain class, no decorator: this lib loads
 * before Nest does.
 */
export class TracingShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}
