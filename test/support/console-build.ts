import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** What the console's build is made of: its own sources, the typed client it bundles, and the installed packages. */
const SOURCES = [join(ROOT, 'apps', 'console'), join(ROOT, 'packages', 'client', 'src'), join(ROOT, 'package-lock.json')];
export const CONSOLE_BUILD = join(ROOT, 'dist', 'console');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Builds the admin console (`npm run build:console`, Vite) into dist/console when there is no build
 * or a source is newer than it, so the e2e suites that load /console test the current sources.
 * Runs once per jest run, from the e2e global setup (about 2 s).
 */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_BUILD, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...SOURCES.map(newestMtime))) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'apps', 'console', 'vite.config.mts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 120_000,
    },
  );
}
