import type { Logger } from 'pino';

type TraceFields = { trace_id?: string; span_id?: string };

/**
 * A pino mixin that adds the active span's `trace_id` and `span_id` to every line logged inside a
 * traced request: the request line (pino-http logs it on the response's `finish`, which the HTTP
 * instrumentation binds to the request's server span) and the lines services log meanwhile.
 * `@opentelemetry/api` is loaded here, on first use, only by processes that trace
 * (OTEL_EXPORTER_OTLP_ENDPOINT set): without it no OpenTelemetry module is loaded at all.
 */
export function traceContextMixin(): (mergeObject: object, level: number, logger: Logger) => TraceFields {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time, see above
  const { isSpanContextValid, trace } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  return () => {
    const span = trace.getActiveSpan()?.spanContext();
    // a new object each time: pino merges the line's own fields into what the mixin returns
    return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
  };
}
