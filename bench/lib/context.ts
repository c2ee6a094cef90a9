import { Api, Tokens } from '../../test/support/http-client';
import { ServerProcess } from '../../test/support/processes';
import type { SoakResult } from '../scenarios/soak';
import { Measured, Measurer } from './measure';
import { BenchOptions } from './options';
import { Jwt } from './servers';

/** The figures that are no one scenario's: data volume, memory, the login flood's side measures, the soak. */
export interface Extra {
  volume?: string;
  ceilingRssMb?: number;
  idleRssMb?: number;
  loginEventLoopLagP99Ms?: number | null;
  loginEventLoopLagSamples?: number[];
  loginProbeMeP99Ms?: number;
  soak?: SoakResult;
  rssAfterRunsMb?: number;
  serverExitCode?: number | null;
}

/** What the scenarios measure with and against, and where they record what they found. */
export interface BenchContext {
  options: BenchOptions;
  measurer: Measurer;
  /** the API under test and a client for it */
  product: ServerProcess;
  api: Api;
  jwt: Jwt;
  healthToken: string;
  /** this run's id: it names the database, the Redis key prefix and the registered emails */
  id: string;
  /** signed in before the runs: a login user (/auth/me) and the admin (listings) */
  me: Tokens;
  admin: Tokens;
  /** by scenario name (--only), in the order they ran */
  results: Record<string, Measured>;
  extra: Extra;
}
