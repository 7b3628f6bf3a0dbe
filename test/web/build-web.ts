/**
 * Builds web/dist with Vite unless it is newer than its sources. Run under `flock` by the tests (see
 * harness.ts ensureWebBuild), so parallel test files neither build twice nor empty web/dist under a server
 * that another test is using.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const webDist = join(repoRoot, 'web', 'dist');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, entry) => Math.max(newest, newestMtime(join(path, entry))),
    stat.mtimeMs,
  );
}

/** True when web/dist is missing or older than anything it is built from. */
export function webBuildIsStale(): boolean {
  const sources = ['web/index.html', 'web/src', 'web/public', 'web/vite.config.ts', 'src/client'].map((p) =>
    newestMtime(join(repoRoot, p)),
  );
  const index = join(webDist, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs <= Math.max(...sources);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && webBuildIsStale()) {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'web'], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
}
