import { ServerProcess } from '../../test/support/processes';
import { BenchContext } from '../lib/context';
import { Spec } from '../lib/measure';
import { guardedSpec } from './ceilings';

/** GET /auth/me against (b); the target is their ratio. */
export async function measureMe(ctx: BenchContext, ceiling: ServerProcess): Promise<void> {
  const meSpec: Spec = {
    name: '(c) GET /api/v1/auth/me',
    url: ctx.product.url,
    shape: () => ({ connections: 16, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${ctx.me.access_token}` } }),
  };
  // (b) and /auth/me alternate (their ratio is the target); the idle one of the two servers costs nothing
  const pair: [string, Spec][] = [];
  if (ctx.options.wanted('ceiling-guarded')) pair.push(['ceiling-guarded', guardedSpec(ceiling, ctx.jwt)]);
  if (ctx.options.wanted('me')) pair.push(['me', meSpec]);
  if (!pair.length) return;
  const measured = await ctx.measurer.alternating(pair.map(([, spec]) => spec));
  for (const [k, [key]] of pair.entries()) ctx.results[key] = measured[k];
}
