/** The command line of `npm run bench` (the flags are listed in bench/run.ts). */
export interface BenchOptions {
  quick: boolean;
  runs: number;
  durationS: number;
  warmupS: number;
  /** false with --no-build: measure dist/ as it is */
  build: boolean;
  /** keep the database at the end */
  keep: boolean;
  profile: boolean;
  soak: boolean;
  soakMinutes: number;
  /** whether --only (scenarios by name) leaves this scenario in */
  wanted: (scenario: string) => boolean;
  /** the arguments as given, for re-executing this process pinned to its core */
  argv: string[];
}

export function parseOptions(argv: string[]): BenchOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = flag('quick');
  const only = option('only')?.split(',');
  return {
    quick,
    runs: Number(option('runs') ?? 3),
    durationS: Number(option('duration') ?? (quick ? 3 : 10)),
    warmupS: quick ? 2 : 5,
    build: !flag('no-build'),
    keep: flag('keep'),
    profile: flag('profile'),
    soak: flag('soak') || option('soak-minutes') !== undefined,
    soakMinutes: Number(option('soak-minutes') ?? 10),
    wanted: (scenario) => !only || only.includes(scenario),
    argv,
  };
}
