import { randomBytes } from 'node:crypto';
import { createTestDatabase, query, TestDatabase } from '../../support/database';
import { HttpResult } from '../../support/http-client';

export const PASSWORD = 'Correct-Horse-7';
export const HEALTH_TOKEN = 'fault-suite-health-token-0123456789';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}.${randomBytes(5).toString('hex')}@example.com`;
}

/** A documentation-range address, so throttle buckets of different tests never meet. */
export function clientIp(): string {
  const b = randomBytes(2);
  return `198.18.${b[0]}.${b[1]}`;
}

export { createTestDatabase, query, TestDatabase };

/**
 * GET /api/v1/health/detailed, or `undefined` while that endpoint does not exist yet (another
 * change adds it): scenarios assert on it only when the running API serves it.
 */
export async function detailedHealth(get: () => Promise<HttpResult>): Promise<{ status: string; checks?: Record<string, { status?: string }> } | undefined> {
  const res = await get();
  if (res.status === 404) return undefined;
  if (res.status !== 200 && res.status !== 503) throw new Error(`detailed health answered ${res.status}: ${res.text}`);
  return res.body;
}

/** Prints a one-line summary when FAULTS_VERBOSE=1 (figures for notes; silent in CI). */
export function note(line: string): void {
  if (process.env.FAULTS_VERBOSE) process.stderr.write(`[faults] ${line}\n`);
}
