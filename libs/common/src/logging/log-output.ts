import { destination, type DestinationStream } from 'pino';
import type { AppConfig } from '@app/config';

/** What decides how a process writes its log lines (a subset of `AppConfig['app']`). */
export type LogSettings = Pick<AppConfig['app'], 'nodeEnv' | 'logFormat' | 'logTarget'>;

type Fd = 1 | 2;
const fdOf = (target: LogSettings['logTarget']): Fd => (target === 'stderr' ? 2 : 1);
const isTerminal = (fd: Fd) => Boolean(fd === 2 ? process.stderr.isTTY : process.stdout.isTTY);

/**
 * LOG_FORMAT: `pretty` or `json` as asked; unset, pretty only in development when the log goes
 * to a terminal. Whatever reads the output — a pipe, a file, a container runtime — gets one JSON
 * object per line.
 */
export function usePrettyLogs(settings: LogSettings, fd: Fd = fdOf(settings.logTarget)): boolean {
  if (settings.logFormat !== 'auto') return settings.logFormat === 'pretty';
  return settings.nodeEnv === 'development' && isTerminal(fd);
}

/**
 * pino-pretty as an in-process synchronous stream (no worker thread: a line is on the terminal
 * before the process can exit). Loaded only when used: production processes never need it.
 */
function prettyStream(fd: Fd): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time, see above
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: fd,
    sync: true,
    colorize: isTerminal(fd),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,request_id,req,res,duration_ms,route,trace_id,span_id',
    messageFormat: prettyMessage,
    // what is left (an error, a job's numbers) is printed under the line, one field per line
    singleLine: false,
  });
}

type Line = Record<string, unknown> & {
  context?: string;
  req?: { method?: string; url?: string };
  res?: { status?: number };
  duration_ms?: number;
  request_id?: string;
  trace_id?: string;
};

/**
 * `[Context] message`, and for request lines `GET /api/v1/auth/me 200 4 ms (request id)`, with
 * `, trace <trace id>` inside the parentheses when tracing is on.
 */
export function prettyMessage(log: Line, messageKey: string): string {
  const msg = String(log[messageKey] ?? '');
  if (log.req && log.res) {
    const ids = [log.request_id, log.trace_id && `trace ${log.trace_id}`].filter(Boolean);
    const id = ids.length ? ` (${ids.join(', ')})` : '';
    return `${log.req.method} ${log.req.url} ${log.res.status} ${log.duration_ms ?? '?'} ms${id}`;
  }
  return log.context ? `[${log.context}] ${msg}` : msg;
}

/** The application logger's destination: stdout or stderr (`logTarget`), pretty or JSON. */
export function appLogDestination(settings: LogSettings): DestinationStream {
  const fd = fdOf(settings.logTarget);
  return usePrettyLogs(settings, fd) ? prettyStream(fd) : destination({ dest: fd, sync: true });
}

/**
 * Where the request lines go. Pretty: the terminal, synchronously. In production: a buffered
 * asynchronous stdout (one write per ~4 KiB instead of one synchronous write per request, a
 * syscall on every request's path), flushed every second and synchronously at exit, so a
 * process killed with SIGKILL can lose at most the last second of request lines. Elsewhere:
 * pino's default synchronous stdout.
 */
export function requestLogDestination(config: AppConfig): DestinationStream | undefined {
  if (usePrettyLogs(config.app)) return prettyStream(fdOf(config.app.logTarget));
  if (config.app.nodeEnv !== 'production') return undefined;
  const stream = destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      // not open yet, or already closed at shutdown: the next tick or the exit flush covers it
    }
  }, 1000);
  timer.unref();
  return stream;
}
