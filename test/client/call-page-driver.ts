/**
 * Drives call-page.ts (the SDK's test page) in Chromium: serve it, open it, read its snapshot, and wait for
 * remote video frames to advance.
 */
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, collectPageErrors, type StaticFile, waitUntil } from './browser-harness.ts';
import type { CallPageApi, CallPageSnapshot } from './call-page.ts';

export const callPageHtml = `<!doctype html><meta charset="utf-8"><title>dyad client test</title><link rel="icon" href="data:,">
<script type="module" src="/call-page.js"></script><body></body>`;

export type TestPage = {
  name: string;
  errors: string[];
  snapshot(): Promise<CallPageSnapshot>;
  run<A extends unknown[]>(method: keyof CallPageApi, ...args: A): Promise<void>;
};

/** Files of the call page: `/` (HTML) and `/call-page.js` (the page bundled with the SDK by esbuild). */
export async function callPageFiles(): Promise<(pathname: string) => StaticFile | undefined> {
  const script = await bundleForBrowser(fileURLToPath(new URL('./call-page.ts', import.meta.url)));
  return (pathname) => {
    if (pathname === '/') return { body: callPageHtml, type: 'text/html; charset=utf-8' };
    if (pathname === '/call-page.js') return { body: script, type: 'text/javascript; charset=utf-8' };
    return undefined;
  };
}

export async function openCallPage(browser: Browser, baseUrl: string, name: string): Promise<TestPage> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const errors = collectPageErrors(page, name);
  await page.goto(`${baseUrl}/`);
  await page.waitForFunction(() => 'dyadTest' in globalThis);
  return {
    name,
    errors,
    snapshot: () =>
      page.evaluate(() => (globalThis as unknown as { dyadTest: CallPageApi }).dyadTest.snapshot()),
    run: async (method, ...args) => {
      await page.evaluate(
        ([name, params]) => {
          const api = (globalThis as unknown as { dyadTest: Record<string, (...a: unknown[]) => unknown> })
            .dyadTest;
          return api[name as string]?.(...(params as unknown[])) as Promise<void>;
        },
        [method, args] as const,
      );
    },
  };
}

/** Waits until `page` shows at least `count` remote videos of its current session, each gaining `frames`. */
export async function expectFramesAdvancing(
  page: TestPage,
  count: number,
  frames: number,
  timeoutMs = 20_000,
) {
  let baseline: Map<string, number> | undefined;
  await waitUntil(
    async () => {
      const { remoteVideos } = await page.snapshot();
      if (remoteVideos.length < count) return false;
      if (!baseline) {
        baseline = new Map(remoteVideos.map((video) => [video.trackId, video.frames]));
        return false;
      }
      const advanced = remoteVideos.filter(
        (video) =>
          baseline?.has(video.trackId) && video.frames >= (baseline.get(video.trackId) ?? 0) + frames,
      );
      return advanced.length >= count;
    },
    timeoutMs,
    async () => `${page.name}: ${JSON.stringify(await page.snapshot())} ${page.errors.join('; ')}`,
  );
}
