/** Unit specs live beside the code in src/, e2e specs in test/. Both run against real PostgreSQL. */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testRegex: '(src/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  testTimeout: 60000,
  // The suite starts servers and service processes; if a failing test leaves one behind, the run still ends with the
  // tests' verdict instead of holding CI until its time limit (`--detectOpenHandles` finds such a leak).
  forceExit: true,
};
