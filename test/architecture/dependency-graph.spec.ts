import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The lib graph of ARCHITECTURE.md ("Dependencies point one way"), enforced: every import of a
 * lib's source (specs excluded) must be an edge listed here, through the other lib's public
 * `@app/<lib>` entry, never its inner files; no lib reaches into apps/ or test/. A new edge is a
 * design decision: add it here together with the architecture doc, never to get a build through.
 */
const ALLOWED: Record<string, string[]> = {
  config: [],
  common: ['config'],
  redis: ['config', 'common'],
  database: ['config', 'common'],
  users: ['config', 'common', 'database', 'redis'],
  sessions: ['config', 'common', 'database', 'redis', 'users'],
  // second factors: auth asks mfa whether a factor is due (ARCHITECTURE.md "mfa sits beside auth")
  mfa: ['config', 'common', 'database', 'redis', 'users'],
  // signing keys, JWKS, introspection: below auth (auth signs and verifies with it)
  keys: ['config', 'common', 'database', 'redis', 'sessions'],
  auth: ['config', 'common', 'database', 'redis', 'users', 'sessions', 'mfa', 'keys'],
  email: ['config', 'common', 'database', 'redis'],
  audit: ['config', 'common', 'database'],
  oauth: ['config', 'common', 'database', 'redis', 'users', 'sessions', 'auth', 'email'],
  'email-verification': ['config', 'common', 'database', 'redis', 'users', 'sessions', 'auth', 'email'],
  // completing a reset proves the mailbox: it marks the address verified through email-verification
  'password-reset': ['config', 'common', 'database', 'redis', 'users', 'sessions', 'auth', 'email', 'email-verification'],
  admin: ['config', 'common', 'database', 'redis', 'users', 'sessions', 'auth', 'audit', 'mfa'],
  health: ['config', 'common', 'database', 'redis', 'users', 'sessions', 'auth', 'email'],
  retention: ['config', 'common', 'database'],
  // OpenTelemetry, started before anything else loads: it may depend on nothing (no Nest, no config)
  tracing: [],
  // listens to domain events like audit; reads the user a payload describes; delivers through the
  // outbox mechanics of the email lib (ARCHITECTURE.md "webhooks ... writes the outbox")
  webhooks: ['config', 'common', 'database', 'users', 'email'],
};

/**
 * Imports that break the path rule on purpose, each with its reason. The TypeORM CLI loads
 * migrations without path aliases or Nest, so a migration reaches shared code by a relative path.
 */
const PATH_EXCEPTIONS: Record<string, string> = {
  'libs/database/src/migrations/1764000000400-canonical-email.ts ../../../common/src/util/email':
    'the migration computes email_canonical with the same function as the running code',
};

const ROOT = resolve(__dirname, '..', '..');
const LIBS = join(ROOT, 'libs');

interface Import {
  file: string;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => ({ file: relative(ROOT, file), spec: m[1] }));
}

function libOf(path: string): string | null {
  const rel = relative(LIBS, path);
  return rel.startsWith('..') ? null : rel.split(sep)[0];
}

/** The edges of the actual graph, and the imports that break the rules whatever the graph says. */
function scan(): { edges: Map<string, Set<string>>; violations: string[] } {
  const edges = new Map<string, Set<string>>();
  const violations: string[] = [];
  for (const lib of readdirSync(LIBS)) {
    edges.set(lib, new Set());
    for (const file of sourceFiles(join(LIBS, lib))) {
      for (const { file: at, spec } of importsOf(file)) {
        if (spec.startsWith('@app/')) {
          const [target, ...inner] = spec.slice('@app/'.length).split('/');
          if (inner.length) violations.push(`${at}: deep import ${spec} (import '@app/${target}')`);
          if (target === lib) violations.push(`${at}: imports its own lib through ${spec} (use a relative path)`);
          else edges.get(lib)!.add(target);
        } else if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          const targetLib = libOf(target);
          if (targetLib !== lib && !PATH_EXCEPTIONS[`${at} ${spec}`]) violations.push(`${at}: relative import ${spec} leaves libs/${lib}`);
        } else if (/^(apps|test|bench)\//.test(spec)) {
          violations.push(`${at}: imports ${spec}`);
        }
      }
    }
  }
  return { edges, violations };
}

function cycleIn(graph: Record<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const walk = (node: string, path: string[]): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    for (const next of graph[node] ?? []) {
      const cycle = walk(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return null;
  };
  for (const node of Object.keys(graph)) {
    const cycle = walk(node, []);
    if (cycle) return cycle;
  }
  return null;
}

describe('dependency graph of libs/', () => {
  const { edges, violations } = scan();

  it('every lib is in the documented graph', () => {
    expect([...edges.keys()].filter((lib) => !(lib in ALLOWED))).toEqual([]);
  });

  it('every import between libs is a documented edge', () => {
    const unexpected = [...edges].flatMap(([from, targets]) =>
      [...targets].filter((to) => !(ALLOWED[from] ?? []).includes(to)).map((to) => `${from} -> ${to}`),
    );
    expect(unexpected).toEqual([]);
  });

  it('libs import each other only through @app/<lib>, and never apps/, test/ or bench/', () => {
    expect(violations).toEqual([]);
  });

  it('the documented graph has no cycle', () => {
    expect(cycleIn(ALLOWED)).toBeNull();
  });

  it('the checks see a wrong edge, a deep import and a cycle (self-test)', () => {
    expect(cycleIn({ ...ALLOWED, config: ['auth'] })).toEqual(expect.arrayContaining(['config', 'auth']));
    const probe = join(LIBS, 'config', 'src', 'probe.ts');
    const found = [`import { X } from '@app/users/src/user.entity';`, `const y = require('../../auth/src/x');`].flatMap((line) =>
      [...line.matchAll(IMPORT)].map((m) => m[1]),
    );
    expect(found).toEqual(['@app/users/src/user.entity', '../../auth/src/x']);
    expect(libOf(resolve(dirname(probe), found[1]))).toBe('auth');
  });
});
