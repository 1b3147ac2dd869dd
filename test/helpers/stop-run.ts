/** Ends a test run from a global setup with one line saying what is missing (no stack, no per-test failures). */
export function stopRun(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}
