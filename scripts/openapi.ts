/**
 * `npm run openapi [-- <file>]`: writes the OpenAPI document the API serves at /docs-json (default
 * dist/openapi.json), built without a server, database or Redis (see generate-openapi.ts);
 * `npm run lint:api` lints it with Redocly. PUBLIC_URL, when set, becomes the document's server.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '@app/config';
import { generateOpenApiDocument } from '../apps/api/src/openapi/generate-openapi';

async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? 'dist/openapi.json');
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: process.env.PUBLIC_URL ?? 'http://localhost:3000',
    // never connected to (preview mode); set so that the configuration is the non-embedded one,
    // which writes no generated secret into DATA_DIR
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/unused',
    REDIS_URL: 'redis://127.0.0.1:1',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url'),
  });
  const document = await generateOpenApiDocument(config);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  process.stderr.write(`OpenAPI document written to ${file} (${operations} operations)\n`);
}

main().catch((err) => {
  process.stderr.write(`openapi: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
