import { KeyObject, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { SigningKeys } from '@app/keys';
import { createApp } from '../../apps/api/src/bootstrap';
import { createTestDatabase, deleteRedisPrefix, TestDatabase } from './database';
import { baseTestEnv, TEST_REDIS_URL } from './env';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  dataSource: DataSource;
  keyPrefix: string;
  /** supertest against this app's HTTP server */
  http: () => ReturnType<typeof request>;
  /** raw SQL against the suite's database */
  sql: <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
  /** the key tokens are signed with now (ES256/EdDSA; absent with HS256), for forging tokens in tests */
  signer?: { alg: string; kid: string; key: KeyObject };
  /** re-reads `signer` (after a rotation) */
  refreshSigner: () => Promise<void>;
}

export interface TestAppOptions {
  /** share a database with another app of the same suite (several nodes) */
  db?: TestDatabase;
  /** share the Redis key prefix too */
  keyPrefix?: string;
}

/**
 * Boots the real application (createApp, the same as production) on a fresh database of the
 * machine's PostgreSQL and its own Redis key prefix. Only what is outside our control is faked.
 */
export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const keyPrefix = options.keyPrefix ?? `t:${randomBytes(5).toString('hex')}:`;
  const config = loadConfig({
    ...baseTestEnv(),
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  });
  const app = await createApp(config);
  await app.init();
  // Fastify loads its plugins (cookies, CORS, the OpenAPI page's files) at ready; listen() would do it
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  const server = app.getHttpServer();
  const keys = app.get(SigningKeys);
  const t: TestApp = {
    app,
    config,
    db,
    dataSource,
    keyPrefix,
    http: () => request(server),
    sql: (query, params) => dataSource.query(query, params),
    close: async () => {
      await app.close();
      if (!options.keyPrefix) await deleteRedisPrefix(TEST_REDIS_URL, keyPrefix);
      if (!options.db) await db.drop();
    },
    refreshSigner: async () => {
      if (!keys.alg) return;
      const current = await keys.current();
      t.signer = { alg: current.row.alg, kid: current.row.kid, key: KeyObject.from(current.privateKey!) };
    },
  };
  await t.refreshSigner();
  return t;
}
