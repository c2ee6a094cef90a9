import { startTracing } from '@app/tracing';

// main.ts's first import: the SDK must patch pg and ioredis before anything requires them.
// Does nothing (and loads nothing) without OTEL_EXPORTER_OTLP_ENDPOINT.
startTracing('identity-worker');
