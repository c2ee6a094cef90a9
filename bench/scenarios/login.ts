import autocannon from 'autocannon';
import { sleep } from '../../test/support/net';
import { BenchContext } from '../lib/context';
import { LOGIN_USERS, PASSWORD } from '../lib/data';
import { cannon } from '../lib/load';
import { log } from '../lib/log';
import { During } from '../lib/measure';
import { median, round } from '../lib/stats';
import { argon2Spec } from './ceilings';

/** POST /auth/login for the bench's login users, round-robin (`next()` counts the requests). */
export function loginRequest(next: () => number): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `login${1 + (next() % LOGIN_USERS)}@bench.test`, password: PASSWORD }) }),
  };
}

/** Login against (d): the target is their ratio, and what the flood does to everyone else's latency. */
export async function measureLogin(ctx: BenchContext): Promise<void> {
  if (!ctx.options.wanted('login')) return;
  let n = 0;
  const side = floodSideEffects(ctx);
  // login and (d) alternate: their ratio is the target
  const [login, argon] = await ctx.measurer.alternating([
    {
      name: '(c) POST /api/v1/auth/login (256 users round-robin)',
      url: ctx.product.url,
      shape: () => ({ connections: 8, requests: [loginRequest(() => n++)] }),
      during: side.during,
    },
    argon2Spec,
  ]);
  ctx.results.login = login;
  ctx.results.argon2 = argon;
  ctx.extra.loginEventLoopLagP99Ms = side.lagSamples.length ? round(Math.max(...side.lagSamples), 1) : null;
  ctx.extra.loginEventLoopLagSamples = side.lagSamples;
  ctx.extra.loginProbeMeP99Ms = round(median(side.probeP99s), 1);
  login.note = `event-loop p99 lag ${ctx.extra.loginEventLoopLagP99Ms ?? 'n/a'} ms (max of /health/detailed samples); /auth/me probe at 10 req/s p99 ${ctx.extra.loginProbeMeP99Ms} ms`;
  log(`  ${login.note}`);
}

/** While logins flood: the event loop's p99 lag (detailed health) and a slow /auth/me probe. */
function floodSideEffects(ctx: BenchContext): { during: During; lagSamples: number[]; probeP99s: number[] } {
  const lagSamples: number[] = [];
  const probeP99s: number[] = [];
  const during: During = () => {
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = await ctx.api.detailedHealth(ctx.healthToken, 30000);
        const lag = h.body?.checks?.event_loop?.lag_ms;
        if (typeof lag === 'number') lagSamples.push(lag);
        await sleep(1000);
      }
    })();
    const probe = cannon(
      ctx.product.url,
      { connections: 1, overallRate: 10, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${ctx.me.access_token}` } },
      ctx.options.durationS,
    );
    return {
      stop: async () => {
        const p = await probe;
        probeP99s.push(p.latency.p99);
        polling = false;
        await poller;
        return undefined;
      },
    };
  };
  return { during, lagSamples, probeP99s };
}
