import { join } from 'node:path';
import { Api } from '../../test/support/http-client';
import { ROOT } from '../../test/support/processes';
import { BenchContext } from '../lib/context';
import { PASSWORD } from '../lib/data';
import { Spec } from '../lib/measure';
import { startProduct } from '../lib/servers';

/**
 * The signing-algorithm trial (issue 19): GET /auth/me of the product signed with HS256, ES256 (the
 * default: the product the other scenarios measure) and EdDSA, alternating in one run, so the cost
 * of verification shows against the access-state fast path. `npm run bench -- --alg-trial` (add
 * `--only alg` to skip the other scenarios).
 */
export async function measureAlgorithmTrial(ctx: BenchContext, productEnv: Record<string, string>): Promise<void> {
  const start = (alg: string) => startProduct({ ...productEnv, JWT_ALGORITHM: alg }, join(ROOT, `bench/server-${alg.toLowerCase()}.log`));
  const [hs, ed] = await Promise.all([start('HS256'), start('EdDSA')]);
  try {
    const tokenOn = async (url: string) => (await new Api(url).signIn('login1@bench.test', PASSWORD)).access_token;
    const me = (name: string, url: string, token: string): Spec => ({
      name,
      url,
      shape: () => ({ connections: 16, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } }),
    });
    const specs: [string, Spec][] = [
      ['alg-hs256-me', me('GET /auth/me, HS256 (JWT_SECRET, jsonwebtoken)', hs.url, await tokenOn(hs.url))],
      ['alg-es256-me', me('GET /auth/me, ES256 (default; jose keys, node:crypto verify)', ctx.product.url, ctx.me.access_token)],
      ['alg-eddsa-me', me('GET /auth/me, EdDSA (jose keys, node:crypto verify)', ed.url, await tokenOn(ed.url))],
    ];
    const measured = await ctx.measurer.alternating(specs.map(([, s]) => s));
    specs.forEach(([key], i) => (ctx.results[key] = measured[i]));
  } finally {
    await Promise.all([hs.terminate(20000), ed.terminate(20000)]);
  }
}
