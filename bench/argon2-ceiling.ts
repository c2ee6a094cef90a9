/**
 * (d) The physical limit of login: argon2id verifies per second on this machine with the
 * configured parameters (ARGON2_* as the API reads them; defaults 19456 KiB, t=2, p=1), with as
 * many verifies in flight as libuv has threads (UV_THREADPOOL_SIZE, default 4) — what the API's
 * login can use at most. bench/lib/servers.ts starts it pinned to the server's core (taskset -c 0).
 * Args: --warmup <s> --runs <n> --duration <s>. Prints one JSON line: { perSecond: number[] }.
 */
import * as argon2 from 'argon2';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

async function verifiesPerSecond(hash: string, seconds: number, concurrency: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (!(await argon2.verify(hash, 'Correct-Horse-7'))) throw new Error('verify failed');
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const options: argon2.HashOptions = {
    type: argon2.argon2id,
    memoryCost: Number(process.env.ARGON2_MEMORY_KIB ?? 19456),
    timeCost: Number(process.env.ARGON2_TIME_COST ?? 2),
    parallelism: Number(process.env.ARGON2_PARALLELISM ?? 1),
  };
  const concurrency = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const hash = await argon2.hash('Correct-Horse-7', options);
  await verifiesPerSecond(hash, arg('warmup', 2), concurrency);
  const perSecond: number[] = [];
  for (let i = 0; i < arg('runs', 3); i++) perSecond.push(await verifiesPerSecond(hash, arg('duration', 10), concurrency));
  process.stdout.write(`${JSON.stringify({ perSecond, concurrency, options: { ...options, type: 'argon2id' } })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
