import autocannon from 'autocannon';
import { BenchContext } from '../lib/context';
import { PASSWORD } from '../lib/data';

/** POST /auth/register; every request a new address (`email()`), as sign-ups are. */
export function registerRequest(email: () => string): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/v1/auth/register',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: email(), password: PASSWORD }) }),
  };
}

export async function measureRegister(ctx: BenchContext): Promise<void> {
  if (!ctx.options.wanted('register')) return;
  let n = 0;
  ctx.results.register = await ctx.measurer.one('(c) POST /api/v1/auth/register (unique emails)', ctx.product.url, () => ({
    connections: 8,
    requests: [registerRequest(() => `reg-${ctx.id}-${n++}@bench.test`)],
  }));
}
