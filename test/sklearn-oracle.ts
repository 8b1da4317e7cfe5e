/**
 * scikit-learn as a test oracle: Debian's /usr/bin/python3 with python3-sklearn (installed by .ci/run).
 * Tests that need it run `it.skipIf(!hasSklearn)` and put {@link ORACLE} in their names, so a skip says why.
 */
import { execFileSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** True when /usr/bin/python3 can import scikit-learn and numpy. */
export const hasSklearn: boolean = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Suffix of oracle test names. */
export const ORACLE = hasSklearn ? '(scikit-learn oracle)' : '(SKIPPED: scikit-learn not installed for /usr/bin/python3; apt install python3-sklearn)';

/**
 * Runs a Python script with `input` as JSON on stdin and parses its JSON stdout. One thread for OpenMP, so an
 * oracle does not compete with the test runner's workers for the two cores.
 */
export function python<T>(script: string, input: unknown): T {
  const out = execFileSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return JSON.parse(out) as T;
}
