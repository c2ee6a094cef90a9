/**
 * Three projects: fast unit specs next to the code; repository contract tests (test/int) that run the
 * repositories' SQL against both PostgreSQL and PGlite; e2e suites in test/ against real PostgreSQL + Redis.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const moduleNameMapper = { '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src' };

/**
 * ESM-only packages that jest's CommonJS runtime cannot require() on Node 20 (jest 30 uses require(esm)
 * only on Node >= 24.9): let @swc/jest turn them into CommonJS. The compiled app needs no such thing
 * (tsc emits require('jose'), which Node 20.19+ loads through require(esm)).
 */
const esmOnly = ['jose'];
const esmSwc = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
const transform = {
  '^.+\\.ts$': swc,
  [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: esmSwc,
};
const transformIgnorePatterns = [`/node_modules/(?!(${esmOnly.join('|')})/)`];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/architecture/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'int',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/int/**/*.int-spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      // PostgreSQL only: these suites never touch Redis
      globalSetup: '<rootDir>/test/support/postgres-ready.ts',
      slowTestThreshold: 15,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      slowTestThreshold: 30,
    },
  ],
  testTimeout: 60000,
};
