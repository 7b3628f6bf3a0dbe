/**
 * Serving pages to Chromium for the browser tests: an esbuild bundle made in memory (never written to the
 * repository) and a loopback HTTP server on an ephemeral port that serves it with other static files.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';

/** Bundles a browser entry point (and src/client with it) into one ES module, in memory. */
export async function bundleForBrowser(entryPoint: string): Promise<string> {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entryPoint}`);
  return output.text;
}

export type StaticFile = { body: string | Uint8Array; type: string };

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

export function contentTypeOf(path: string): string {
  const extension = path.slice(path.lastIndexOf('.'));
  return contentTypes[extension] ?? 'application/octet-stream';
}

/** Reads a file below `root`, refusing paths that climb out of it. */
export async function readBelow(root: string, relativePath: string): Promise<StaticFile | undefined> {
  if (relativePath.split('/').some((part) => part === '..' || part === '')) return undefined;
  try {
    return { body: await readFile(`${root}/${relativePath}`), type: contentTypeOf(relativePath) };
  } catch {
    return undefined;
  }
}

/**
 * Serves `resolve(pathname)` on http://127.0.0.1:<ephemeral> (a secure context, so getUserMedia works) until
 * the test ends. Returns the base URL.
 */
export async function serveStatic(
  t: TestContext,
  resolve: (pathname: string) => Promise<StaticFile | undefined> | StaticFile | undefined,
): Promise<string> {
  const server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    Promise.resolve(resolve(pathname))
      .then((file) => {
        if (!file) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
      })
      .catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  t.after(() => new Promise<void>((resolveClose) => server.close(() => resolveClose())));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Page console errors and uncaught exceptions, for the failure message of a test. */
export function collectPageErrors(page: Page, name: string): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${name}: uncaught ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${name}: console.error ${message.text()}`);
  });
  return errors;
}

/** Polls `probe` until it returns true, or fails after `timeoutMs` with `describe()` in the message. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => Promise<string> | string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
}
