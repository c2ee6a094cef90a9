import { prettyMessage, usePrettyLogs } from './log-output';
import { logSettingsFromEnv } from './startup-logger';

describe('log format', () => {
  const dev = { nodeEnv: 'development', logFormat: 'auto', logTarget: 'stdout' } as const;
  const tty = (isTTY: boolean) => {
    const before = process.stdout.isTTY;
    Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true });
    return () => Object.defineProperty(process.stdout, 'isTTY', { value: before, configurable: true });
  };

  it('is pretty in development on a terminal, JSON when stdout is not one or elsewhere', () => {
    let restore = tty(true);
    try {
      expect(usePrettyLogs(dev)).toBe(true);
      expect(usePrettyLogs({ ...dev, nodeEnv: 'production' })).toBe(false);
      expect(usePrettyLogs({ ...dev, nodeEnv: 'test' })).toBe(false);
      expect(usePrettyLogs({ ...dev, logFormat: 'json' })).toBe(false);
    } finally {
      restore();
    }
    restore = tty(false);
    try {
      expect(usePrettyLogs(dev)).toBe(false);
      expect(usePrettyLogs({ ...dev, nodeEnv: 'production', logFormat: 'pretty' })).toBe(true);
    } finally {
      restore();
    }
  });

  it('before the configuration is valid, reads NODE_ENV and LOG_FORMAT leniently', () => {
    expect(logSettingsFromEnv({})).toEqual({ nodeEnv: 'development', logFormat: 'auto', logTarget: 'stdout' });
    expect(logSettingsFromEnv({ NODE_ENV: 'production', LOG_FORMAT: 'json' })).toEqual({ nodeEnv: 'production', logFormat: 'json', logTarget: 'stdout' });
    expect(logSettingsFromEnv({ NODE_ENV: 'prod', LOG_FORMAT: 'xml' })).toEqual({ nodeEnv: 'development', logFormat: 'auto', logTarget: 'stdout' });
  });

  it('prints a request as one line and prefixes other lines with their context', () => {
    const request = { req: { method: 'GET', url: '/api/v1/auth/me' }, res: { status: 401 }, duration_ms: 4, request_id: 'r-1', msg: 'request completed' };
    expect(prettyMessage(request, 'msg')).toBe('GET /api/v1/auth/me 401 4 ms (r-1)');
    expect(prettyMessage({ ...request, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }, 'msg')).toBe(
      'GET /api/v1/auth/me 401 4 ms (r-1, trace 4bf92f3577b34da6a3ce929d0e0e4736)',
    );
    expect(prettyMessage({ context: 'Bootstrap', msg: 'Identity API listening' }, 'msg')).toBe('[Bootstrap] Identity API listening');
    expect(prettyMessage({ msg: 'plain' }, 'msg')).toBe('plain');
  });
});
