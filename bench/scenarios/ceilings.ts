import * as jwt from 'jsonwebtoken';
import { ServerProcess } from '../../test/support/processes';
import { BenchContext } from '../lib/context';
import { rssMb } from '../lib/machine';
import { Spec } from '../lib/measure';
import { argon2Ceiling, Jwt, startCeiling } from '../lib/servers';
import { round } from '../lib/stats';

/** Runs `measure` while the ceiling app (bench/ceiling-app.ts: (a) and (b)) is up; records its RSS, stops it. */
export async function withCeilingApp(ctx: BenchContext, measure: (ceiling: ServerProcess) => Promise<void>): Promise<void> {
  const ceiling = await startCeiling(ctx.jwt);
  try {
    await measure(ceiling);
    ctx.extra.ceilingRssMb = round(rssMb(ceiling.pid));
  } finally {
    await ceiling.terminate(20000);
  }
}

/** (a): a bare Nest endpoint, the cheapest answer Nest gives on this machine. */
export async function measurePlainCeiling(ctx: BenchContext, ceiling: ServerProcess): Promise<void> {
  if (!ctx.options.wanted('ceiling-plain')) return;
  ctx.results['ceiling-plain'] = await ctx.measurer.one('(a) bare Nest GET /plain', ceiling.url, () => ({ connections: 16, path: '/plain' }));
}

/** (b): the same behind a minimal JWT guard, what /auth/me is divided by. */
export function guardedSpec(ceiling: ServerProcess, settings: Jwt): Spec {
  const token = jwt.sign({ sub: 'u', sid: 's', role: 'user', typ: 'access' }, settings.secret, {
    algorithm: 'HS256',
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: 86400,
  });
  return {
    name: '(b) Nest + JWT guard GET /guarded',
    url: ceiling.url,
    shape: () => ({ connections: 16, path: '/guarded', headers: { authorization: `Bearer ${token}` } }),
  };
}

/** (d): argon2id verifies per second on the server's core, what login is divided by. */
export const argon2Spec: Spec = { name: '(d) argon2id verify (19456 KiB, t=2, p=1), server idle', perSecond: argon2Ceiling };

/** (d) alone, when asked for without login (with login, the login scenario measures it). */
export async function measureArgon2Alone(ctx: BenchContext): Promise<void> {
  if (!ctx.options.wanted('argon2') || ctx.results.argon2) return;
  ctx.results.argon2 = (await ctx.measurer.alternating([argon2Spec]))[0];
}
