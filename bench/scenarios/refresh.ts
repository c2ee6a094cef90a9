import autocannon from 'autocannon';
import { BenchContext } from '../lib/context';
import { PASSWORD } from '../lib/data';

/**
 * POST /auth/refresh with one fresh refresh token per request: each connection chains the token its
 * previous refresh returned (a token used twice is reuse, and revokes the session).
 */
export function refreshRequest(token: () => string, onToken: (status: number, body: string) => void): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: token() }) }),
    onResponse: (status, body) => onToken(status, body),
  };
}

export async function measureRefresh(ctx: BenchContext): Promise<void> {
  if (!ctx.options.wanted('refresh')) return;
  const connections = 16;
  const chains: string[] = [];
  const spares: string[] = [];
  for (let i = 0; i < connections * 2; i++)
    (i < connections ? chains : spares).push((await ctx.api.signIn(`login${2 + i}@bench.test`, PASSWORD)).refresh_token);
  // a chain that breaks (a non-200 answer) goes on from a spare session, and is counted
  let broken = 0;
  const result = await ctx.measurer.one('(c) POST /api/v1/auth/refresh (token chained per connection)', ctx.product.url, () => {
    let next = 0;
    return {
      connections,
      setupClient: (client) => {
        const slot = next++ % chains.length;
        client.setRequests([
          refreshRequest(
            () => chains[slot],
            (status, body) => {
              if (status === 200) chains[slot] = JSON.parse(String(body)).refresh_token;
              else {
                broken++;
                chains[slot] = spares.shift() ?? chains[slot];
              }
            },
          ),
        ]);
      },
    };
  });
  ctx.results.refresh = { ...result, note: `${broken} broken chains` };
}
