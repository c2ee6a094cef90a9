import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { registerConsole } from '../apps/api/src/console';
import { CONSOLE_BUILD } from './support/console-build';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The admin console as the API serves it (API.md "Console", issue 21): index.html for /console and
 * every route under it, hashed assets cached for a year, and a CSP that allows nothing inline.
 * The console itself is driven in a browser by browser-console.e2e-spec.ts.
 */
describe('the admin console is served by the API at /console', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const cspOf = (res: request.Response) =>
    Object.fromEntries(
      String(res.headers['content-security-policy'])
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    ) as Record<string, string[]>;

  it('answers the page for /console and its routes, never cached, with a CSP that allows no inline script or style', async () => {
    for (const path of ['/console', '/console/', '/console/users', '/console/users/5b0c7a2e-0000-4000-8000-000000000000', '/console/audit?event=x']) {
      const res = await t.http().get(path).expect(200);
      expect([path, res.headers['content-type']]).toEqual([path, 'text/html; charset=utf-8']);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<div id="app"></div>');
      const csp = cspOf(res);
      expect(csp['script-src']).toEqual(["'self'"]);
      expect(csp['style-src']).toEqual(["'self'"]);
      expect(csp['connect-src']).toEqual(["'self'"]);
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(csp['object-src']).toEqual(["'none'"]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // HEAD, as monitors and caches ask
    const head = await t.http().head('/console/users').expect(200);
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
    const page = (await t.http().get('/console').expect(200)).text;
    // every script is a file of the build: nothing inline for the CSP to refuse
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/console\/assets\/[\w-]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(page).not.toMatch(/<style\b|\sstyle="/);
  });

  it('serves the hashed assets with a one-year immutable cache, and a missing asset is a 404 problem, not the page', async () => {
    const files = readdirSync(join(CONSOLE_BUILD, 'assets'));
    const script = files.find((f) => f.endsWith('.js'))!;
    const res = await t.http().get(`/console/assets/${script}`).expect(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const missing = await t.http().get('/console/assets/index-missing.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body.code).toBe('not_found');
    // traversal, plain or percent-encoded, is not found (a 404 problem, never a 500 or a file)
    for (const path of [
      '/console/assets/../../package.json',
      '/console/assets/%2e%2e/%2e%2e/package.json',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/.env',
    ]) {
      const res = await t.http().get(path);
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'not_found']);
    }
  });

  it('leaves the API its own headers: the API CSP, no console page under /api/v1', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['content-security-policy']).not.toContain("frame-ancestors 'none'");
    await t.http().get('/api/v1/console').expect(404);
  });

  it('without a build, /console says how to build it (404 problem)', async () => {
    @Module({})
    class EmptyModule {}
    const empty = mkdtempSync(join(tmpdir(), 'console-'));
    const app = await NestFactory.create<NestFastifyApplication>(EmptyModule, new FastifyAdapter(), { logger: false });
    try {
      await registerConsole(app, empty);
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      const res = await request(app.getHttpServer()).get('/console/users').expect(404);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
      expect(res.body.detail).toContain('npm run build');
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
