import { StartupError } from '@app/config';

/** Where DATABASE_URL points, for messages: host and port only (never the user or the password). */
export function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${u.port || '5432'}`;
  } catch {
    return 'an unparsable address';
  }
}

/**
 * The reason a connection attempt failed, in one line: the driver's message, or the codes of a
 * dual-stack attempt (Node's AggregateError has an empty message), with the URL's password
 * masked should a driver ever echo it.
 */
export function connectFailureReason(err: unknown, url: string): string {
  const e = err as Error & { code?: string; errors?: (Error & { code?: string })[] };
  let reason = e?.message?.trim() || '';
  if (!reason && Array.isArray(e?.errors)) reason = [...new Set(e.errors.map((x) => x.message || x.code))].join('; ');
  if (!reason) reason = e?.code ?? String(err);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // no password to mask
  }
  return (password ? reason.split(password).join('***') : reason).split('\n')[0];
}

/** The database of DATABASE_URL could not be reached (or refused us) at boot. */
export class DatabaseConnectError extends StartupError {
  constructor(url: string, cause: unknown) {
    super(`Cannot connect to the database at ${databaseAddress(url)} (DATABASE_URL): ${connectFailureReason(cause, url)}`);
    this.name = 'DatabaseConnectError';
  }
}
