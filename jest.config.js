/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The cluster tier has its own config (test/cluster/jest.config.js) and runs in its own namespaces.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/e2e/", "<rootDir>/test/cluster/"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
  testTimeout: 20000,
  // Jest defaults to one worker fewer than the cores: on two cores, one. The suite is mostly waiting
  // on sockets and child processes, so both cores pay off.
  maxWorkers: 2,
};
