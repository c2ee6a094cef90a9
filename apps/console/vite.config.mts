import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The admin console (README "Console"): a Preact SPA built into dist/console, which the API serves
 * at /console (apps/api/src/console.ts) with a strict CSP — so the build must not emit any inline
 * script (no module-preload polyfill) or inline style.
 */
const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: '/console/',
  // the typed client is a workspace package in source form
  resolve: { alias: { '@identity-backend/client': resolve(here, '../../packages/client/src/index.ts') } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(here, '../../dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    // never inline assets as data: URLs into scripts or styles
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
