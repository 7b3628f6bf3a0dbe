import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';

const inCi = process.env.CI === 'true';

/**
 * Finds a program a test needs from Debian (Chromium, OpenSSL, coturn, Redis, Firefox). Where it is
 * missing the test is skipped with a loud reason, except under CI=true, where it fails: CI installs them.
 */
export function findProgram(t: TestContext, name: string, candidates: string[]): string | undefined {
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  const reason = `${name} is not installed (looked for ${candidates.join(', ')}); install the Debian package to run this test`;
  if (inCi) throw new Error(`${reason}. CI=true: .ci/run must install it.`);
  console.warn(`\n*** SKIPPED: ${reason} ***\n`);
  t.skip(reason);
  return undefined;
}
