// Writes jest's aggregated counts to .jest-results.json (or the `file` option: the cluster tier
// writes its own) so .ci/run can print its one-line summary.
const fs = require("node:fs");
const path = require("node:path");

class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.file = path.join(globalConfig.rootDir, options.file ?? ".jest-results.json");
    try {
      fs.rmSync(this.file, { force: true });
    } catch {
      // nothing to remove
    }
  }

  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failedSuites: results.numFailedTestSuites,
      success: results.success,
    };
    fs.writeFileSync(this.file, JSON.stringify(summary) + "\n");
  }
}

module.exports = SummaryReporter;
