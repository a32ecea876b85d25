/** @type {import('jest').Config} The real control plane tier: run by `npm run test:cluster` inside its own namespaces. */
module.exports = {
  rootDir: "../..",
  testEnvironment: "node",
  roots: ["<rootDir>/test/cluster"],
  testMatch: ["**/*.cluster.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  reporters: [
    "default",
    ["<rootDir>/test/support/summary-reporter.js", { file: ".jest-cluster-results.json" }],
  ],
  // One cluster at a time: the tier's ports are fixed inside its namespace.
  maxWorkers: 1,
  testTimeout: 15 * 60_000,
};
