import { BenchContext } from '../lib/context';
import { Spec } from '../lib/measure';
import { startCeiling, startExpressTrial } from '../lib/servers';
import { guardedSpec } from './ceilings';

/**
 * The adapter trial (issue 16): (a), (b) and GET /auth/me on Fastify (the product as built, and
 * bench/ceiling-app.ts with ADAPTER=fastify) and on Express (bench/ceiling-app.ts, and the product's
 * AppModule in bench/express-trial.ts), in one alternating run so that both sides meet the same
 * machine. `npm run bench -- --adapter-trial` (add
 * `--only adapter` to skip the other scenarios).
 */
export async function measureAdapterTrial(ctx: BenchContext, productEnv: Record<string, string>, logFile: string): Promise<void> {
  const [express, fastify, trial] = await Promise.all([
    startCeiling(ctx.jwt, 'express'),
    startCeiling(ctx.jwt, 'fastify'),
    startExpressTrial(productEnv, logFile),
  ]);
  try {
    const me = (name: string, url: string): Spec => ({
      name,
      url,
      shape: () => ({ connections: 16, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${ctx.me.access_token}` } }),
    });
    const plain = (name: string, url: string): Spec => ({ name, url, shape: () => ({ connections: 16, path: '/plain' }) });
    const specs: [string, Spec][] = [
      ['adapter-express-plain', plain('(a) Express: bare Nest GET /plain', express.url)],
      ['adapter-fastify-plain', plain('(a) Fastify: bare Nest GET /plain', fastify.url)],
      ['adapter-express-guarded', { ...guardedSpec(express, ctx.jwt), name: '(b) Express: Nest + JWT guard' }],
      ['adapter-fastify-guarded', { ...guardedSpec(fastify, ctx.jwt), name: '(b) Fastify: Nest + JWT guard' }],
      ['adapter-express-me', me('(c) Express: GET /api/v1/auth/me (trial harness)', trial.url)],
      ['adapter-fastify-me', me('(c) Fastify: GET /api/v1/auth/me (the product)', ctx.product.url)],
    ];
    const measured = await ctx.measurer.alternating(specs.map(([, s]) => s));
    specs.forEach(([key], i) => (ctx.results[key] = measured[i]));
  } finally {
    await Promise.all([express.terminate(20000), fastify.terminate(20000), trial.terminate(20000)]);
  }
}
