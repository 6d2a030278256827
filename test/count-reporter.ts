import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain line, `vitest: N passed, N failed[, N skipped][, N unhandled
 * errors]`, after Vitest's own summary, so CI can read the counts without parsing Vitest's
 * layout. An unhandled error fails the run with every test passed: the line says so.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') counts[state] += 1;
      }
      // A file that failed outside any test (import error, failing beforeAll) leaves its tests
      // unrun or skipped; it still counts as a failure.
      const testFailed = [...testModule.children.allTests()].some(
        (test) => test.result().state === 'failed',
      );
      if (testModule.state() === 'failed' && !testFailed) counts.failed += 1;
    }
    const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
    const errorCount = unhandledErrors.length;
    const errors =
      errorCount > 0 ? `, ${errorCount} unhandled error${errorCount === 1 ? '' : 's'}` : '';
    process.stdout.write(
      `vitest: ${counts.passed} passed, ${counts.failed} failed${skipped}${errors}\n`,
    );
  }
}
