/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // Generous on purpose: a test must not fail because the machine is busy (one differential test took
  // 26 s at load 3 and over 120 s at load 9-13 on 2 cores); a real hang still ends at this limit.
  testTimeout: 900000,
  // Integration tests share the upstream download cache and real servers; two workers fit the 2-core machines.
  maxWorkers: 2,
  // Prints the reliability suite's counts and fails the run when one misses its target (test/reliability).
  reporters: ['default', '<rootDir>/test/reliability/reporter.js'],
};
