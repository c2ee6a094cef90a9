import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { stopTracing } from '@app/tracing';

const DRAIN_TIMEOUT_MS = 15_000;

/**
 * SIGTERM/SIGINT: stop accepting connections and let in-flight requests finish first, then close
 * the app (pools, Redis, jobs), then export the spans still buffered (tracing on). Nest's own hooks
 * would close the database while requests still run.
 */
export function installGracefulShutdown(app: INestApplication): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const server = app.getHttpServer() as Server;
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    force.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearTimeout(force);
    await app.close();
    await stopTracing();
    process.stderr.write(`Shut down cleanly after ${signal}\n`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
