import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/JSON export carries it, flattened with its resource and scope. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client */
  kind: number;
  attributes: Record<string, unknown>;
  /** the instrumentation that made it, e.g. `@opentelemetry/instrumentation-pg` */
  scope: string;
  service: unknown;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
type KeyValue = { key: string; value: AnyValue };
interface ExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: (Omit<ReceivedSpan, 'attributes' | 'scope' | 'service'> & { attributes?: KeyValue[] })[] }[];
  }[];
}

const valueOf = (v: AnyValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue));
const attributesOf = (list: KeyValue[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * A local OTLP/HTTP receiver (what a collector listens to on :4318): records the spans of every
 * `POST /v1/traces` in OTLP/JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and the raw bodies of
 * those in protobuf (the default protocol; not decoded: strings such as span and service names
 * are plain UTF-8 inside), and answers 200. Anything else it is sent is kept in `others` (path
 * and content type), so a test can say what arrived instead of traces.
 */
export class FakeOtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly protobuf: Buffer[] = [];
  readonly others: string[] = [];
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const type = req.headers['content-type'] ?? '';
        const traces = req.method === 'POST' && req.url === '/v1/traces';
        if (traces && type.startsWith('application/json')) {
          this.record(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        if (traces && type.startsWith('application/x-protobuf')) this.protobuf.push(Buffer.concat(chunks));
        else this.others.push(`${req.method} ${req.url} ${type}`);
        // an empty ExportTraceServiceResponse
        res.writeHead(200, { 'content-type': type || 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private record(body: ExportTraceServiceRequest): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = attributesOf(rs.resource?.attributes)['service.name'];
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            scope: ss.scope?.name ?? '',
            service,
          });
        }
      }
    }
  }
}
