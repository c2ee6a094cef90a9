import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { StartupError } from '@app/config';

/** Another live process has the embedded database open (PGlite has no lock of its own). */
export class EmbeddedDatabaseBusyError extends StartupError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    lockFile: string,
  ) {
    const who = `pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}${holder.command ? `, ${holder.command}` : ''}`;
    super(
      `The embedded database in ${dataDir} (DATA_DIR) is in use by another process (${who}): PGlite can be opened by one process at a time. ` +
        `Stop that process (the API, if it runs on this DATA_DIR) and try again, or set DATABASE_URL to use a PostgreSQL server. ` +
        `If no such process exists, delete ${lockFile}.`,
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

interface LockHolder {
  pid: number;
  host: string;
  command?: string;
  since?: string;
}

/**
 * Takes `<pgDir>.lock` for this process, or throws EmbeddedDatabaseBusyError when a live process
 * holds it. PGlite opens a data directory a second process already has open without complaint,
 * and two writers corrupt it: an API and an operator command on one DATA_DIR must not both run.
 * A lock left by a process that is gone (killed, crashed) is taken over. Returns the release
 * function, which is also run at exit.
 */
export function lockEmbeddedDatabase(pgDir: string, dataDir: string): () => void {
  const file = `${pgDir}.lock`;
  const me: LockHolder = { pid: process.pid, host: hostname(), command: commandName(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    // written aside, then linked into place: the lock appears with its content, or not at all
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
    try {
      linkSync(temp, file);
      const release = () => {
        process.removeListener('exit', release);
        if (readHolder(file)?.pid === me.pid) unlinkQuietly(file);
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      if (holder && alive(holder)) throw new EmbeddedDatabaseBusyError(dataDir, holder, file);
      if (attempt >= 2) throw new EmbeddedDatabaseBusyError(dataDir, holder ?? { pid: 0, host: 'unknown' }, file);
      unlinkQuietly(file);
    } finally {
      unlinkQuietly(temp);
    }
  }
}

function alive(holder: LockHolder): boolean {
  // a container restarted with the same pid, or an earlier open in this very process: ours to take
  if (holder.pid === process.pid && holder.host === hostname()) return false;
  // another machine sharing the directory: no way to tell, so it counts as running
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(parsed.pid) && typeof parsed.host === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function commandName(): string {
  const script = process.argv[1] ? basename(process.argv[1]) : '';
  const app = process.argv[1]?.match(/apps\/([a-z-]+)\//)?.[1];
  return app ? `apps/${app}` : script;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
