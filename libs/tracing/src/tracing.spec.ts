import { redactUrl } from '@app/common';
import { isUntracedRequest, redactUrlAttributes, tracingEndpoint } from './tracing';

describe('tracing', () => {
  it('is on only for an http(s) OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(tracingEndpoint({})).toBeUndefined();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toBeUndefined();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318');
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com' })).toBe('https://otlp.example.com');
  });

  it('leaves probes and scrapes untraced, by path, whatever the case, a trailing slash or a query', () => {
    for (const url of ['/health', '/health/', '/HEALTH', '/metrics?x=1', '/api/v1/health/live', '/api/v1/health/ready'])
      expect(isUntracedRequest(url)).toBe(true);
    for (const url of ['/', '/api/v1/health/detailed', '/api/v1/health/database', '/api/v1/auth/login', '/healthz', undefined])
      expect(isUntracedRequest(url)).toBe(false);
  });

  it('masks secret query parameters in every URL attribute, as the request log does', () => {
    const attributes: Record<string, unknown> = {
      'url.full': '/api/v1/auth/verify-email?token=s3cret&lang=en',
      'url.path': '/api/v1/oauth/google/callback?code=abc&State=xyz',
      'url.query': 'token=s3cret&x=1',
      'http.target': '/x?access_token=a&refresh_token=r&password=p',
      'http.route': '/api/v1/auth/verify-email',
      'http.response.status_code': 200,
    };
    redactUrlAttributes(attributes);
    expect(attributes).toEqual({
      'url.full': '/api/v1/auth/verify-email?token=REDACTED&lang=en',
      'url.path': '/api/v1/oauth/google/callback?code=REDACTED&State=REDACTED',
      'url.query': 'token=REDACTED&x=1',
      'http.target': '/x?access_token=REDACTED&refresh_token=REDACTED&password=REDACTED',
      'http.route': '/api/v1/auth/verify-email',
      'http.response.status_code': 200,
    });
    // the same parameters as the log lines': what one masks, the other masks too
    for (const url of ['/a?token=1', '/a?code=1&state=2', '/a?x=1&PASSWORD=2', '/a?refresh_token=1&access_token=2', '/a?tokens=1&codes=2']) {
      const span = { 'url.full': url };
      redactUrlAttributes(span);
      expect(span['url.full'].replace(/REDACTED/g, '[REDACTED]')).toBe(redactUrl(url));
    }
  });
});
