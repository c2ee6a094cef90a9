// Nothing here may load Nest, pino or an OpenTelemetry module at import time: see tracing.ts.
export { isUntracedRequest, redactUrlAttributes, startTracing, stopTracing, tracingEndpoint, TracingShutdown } from './tracing';
