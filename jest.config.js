/**
 * One Jest run for the whole workspace, so `pnpm test` ends with one summary line.
 * TypeScript is transpiled by SWC (type checking is `pnpm typecheck`); workspace packages resolve
 * to their sources. Spawned processes run the built `dist/` (see @skyway/testkit startApp).
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages', '<rootDir>/tools', '<rootDir>/infra', '<rootDir>/bench'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // jose ships ES modules only: Node 20.19+ requires them natively, Jest's module loader (before Node 24.9) does not.
    '/node_modules/.+/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/jose@[^/]+/node_modules/)?jose/)'],
  moduleNameMapper: { '^@skyway/([a-z-]+)$': '<rootDir>/packages/$1/src', '^@skyway/([a-z-]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2' },
  modulePathIgnorePatterns: ['<rootDir>/apps/.*/dist', '<rootDir>/packages/.*/dist', '<rootDir>/tools/.*/dist', '<rootDir>/bench/dist'],
  globalSetup: '<rootDir>/packages/testkit/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/packages/testkit/src/jest-global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/packages/testkit/jest-summary-reporter.js'],
};
