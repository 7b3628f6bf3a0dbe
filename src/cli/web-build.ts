import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

function newestModification(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestModification(join(path, entry)));
  }
  return newest;
}

/**
 * `npm start` serves the web app from web/dist; it builds it first when the build is missing or older
 * than the sources in web/ (Vite is a development dependency, so a production install brings a build).
 */
export async function buildWebAppIfStale(webDir: string, outDir: string, logger: Logger): Promise<void> {
  if (!existsSync(join(webDir, 'index.html'))) return;
  const builtIndex = join(outDir, 'index.html');
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= newestModification(webDir)) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    logger.warn('web app not built and Vite is not installed: run `npm install` then `npm run build:web`');
    return;
  }
  logger.info('building the web app (web/ → web/dist)');
  await vite.build({ root: webDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}
