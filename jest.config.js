/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  testTimeout: 120000,
  // Integration tests share the upstream download cache and real servers; two workers fit the 2-core machines.
  maxWorkers: 2,
  // Prints the reliability suite's counts and fails the run when one misses its target (test/reliability).
  reporters: ['default', '<rootDir>/test/reliability/reporter.js'],
};
