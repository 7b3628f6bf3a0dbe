/**
 * Shared setup of the web-app browser tests: the Vite build (made when web/dist is missing or older than its
 * sources), `dyad serve` (startServer) serving it on an ephemeral loopback port, Chromium with fake media,
 * screenshots at desktop and phone widths, and an axe-core accessibility check.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { repoRoot, webBuildIsStale, webDist } from './build-web.ts';

export { repoRoot, webDist };

export const artifactsDir = join(repoRoot, '.test-artifacts', 'web');

/** Builds the web app unless web/dist is newer than everything it is built from. */
export function ensureWebBuild(): void {
  if (!webBuildIsStale()) return;
  // The lock serializes test files running in parallel; the script checks staleness again inside it.
  execFileSync(
    'flock',
    [
      '/tmp/dyad-web-build.lock',
      process.execPath,
      '--import',
      'tsx',
      join(repoRoot, 'test/web/build-web.ts'),
    ],
    { cwd: repoRoot, stdio: 'pipe' },
  );
}

export async function startWebServer(t: TestContext, port = 0): Promise<RunningServer> {
  const server = await startServer({ host: '127.0.0.1', port, logLevel: 'silent', webRoot: webDist });
  t.after(() => server.close());
  return server;
}

/** Debian's Chromium with the shared flags plus what the web app's pages need. */
export function launchBrowser(t: TestContext, extraArgs: string[] = []): Promise<Browser | undefined> {
  return launchChromium(t, [
    // getDisplayMedia picks the fake screen without a picker.
    '--auto-select-desktop-capture-source=Entire screen',
    ...extraArgs,
  ]);
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

export async function newPage(
  browser: Browser,
  options: { media?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: desktop,
    permissions: options.media === false ? [] : ['camera', 'microphone'],
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  return { context, page };
}

/** Saves `<name>-desktop.png` and `<name>-phone.png` under .test-artifacts/web. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  const size = page.viewportSize() ?? desktop;
  await page.setViewportSize(desktop);
  await page.screenshot({ path: join(artifactsDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(phone);
  await page.screenshot({ path: join(artifactsDir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(size);
}

export type AxeViolation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** Runs axe-core (WCAG 2 A/AA rules) on the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** What the call page exposes as `window.dyad` for debugging. */
export type CallDebug = {
  page: {
    audioTrack?: MediaStreamTrack;
    cameraTrack?: MediaStreamTrack;
    screenTrack?: MediaStreamTrack;
    localStream: MediaStream;
  };
  call: { state: string; peerConnection?: RTCPeerConnection };
};

/** Waits until the status line contains `text`. */
export async function waitForStatus(page: Page, text: string | RegExp, timeout = 20_000): Promise<void> {
  await page.locator('.status-text').filter({ hasText: text }).first().waitFor({ timeout });
}

/** Decoded frames of a page's remote video: grows while frames arrive. */
export function remoteFrames(page: Page): Promise<number> {
  return page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('.remote-video');
    return video?.getVideoPlaybackQuality().totalVideoFrames ?? 0;
  });
}

/** Waits until more than 5 further remote frames were decoded: video is flowing into this page. */
export async function framesAdvance(page: Page, timeout = 15_000): Promise<void> {
  const before = await remoteFrames(page);
  await page.waitForFunction(
    (start) =>
      (document.querySelector<HTMLVideoElement>('.remote-video')?.getVideoPlaybackQuality()
        .totalVideoFrames ?? 0) >
      start + 5,
    before,
    { timeout },
  );
}
