import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findProgram } from './external.ts';

export type TestCertificate = { cert: Buffer; key: Buffer; certPath: string; keyPath: string };

/**
 * A self-signed ECDSA P-256 certificate for CN=localhost, made by Debian's openssl in a folder removed
 * after the test. Undefined when the test was skipped because openssl is missing.
 */
export function makeTestCertificate(t: TestContext): TestCertificate | undefined {
  const openssl = findProgram(t, 'openssl', ['/usr/bin/openssl']);
  if (!openssl) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dyad-cert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    openssl,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat([
      '-subj',
      '/CN=localhost',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]),
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(certPath), key: readFileSync(keyPath), certPath, keyPath };
}
