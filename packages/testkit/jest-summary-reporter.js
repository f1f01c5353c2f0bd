'use strict';

/**
 * Prints the run's totals as the last line, in the plain form CI reads from any runner:
 * `Tests: N passed, N failed, N skipped`. Written at process exit, so it follows Jest's own summary.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + (results.numFailedTests === 0 ? failedSuites : 0);
    const line = `\nTests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}

module.exports = SummaryReporter;
