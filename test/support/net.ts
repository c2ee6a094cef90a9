import net from 'node:net';
import { HttpResult, send } from './http-client';

/**
 * A port that is free on 127.0.0.1 now. Nothing holds it once this resolves: a process of ours
 * may bind it first, so the servers started in ./processes retry on EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves how long it took (ms). */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15000, everyMs = 100): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms`);
}

export interface WaitForHttpOptions {
  timeoutMs: number;
  /**
   * Asked before every attempt: a reason when the server is gone (its process exited), so a
   * server that died while starting fails the wait at once instead of at the timeout.
   */
  gone?: () => string | undefined;
}

/** Polls GET `base` + `path` until it answers 200; resolves that answer. */
export async function waitForHttp(base: string, path: string, o: WaitForHttpOptions): Promise<HttpResult> {
  const started = Date.now();
  while (Date.now() - started < o.timeoutMs) {
    const gone = o.gone?.();
    if (gone) throw new Error(`${gone} while starting`);
    const res = await send(base, { path, timeoutMs: 1000 });
    if (res.status === 200) return res;
    await sleep(100);
  }
  throw new Error(`no answer from ${base}${path} within ${o.timeoutMs} ms`);
}
