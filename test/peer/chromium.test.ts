/**
 * Node ↔ Chromium through dyad serve: the client SDK on both sides, our RTCPeerConnection injected on the
 * Node side (with `ws`), Chromium's own in the page. Strings and binary both ways, each side as offerer
 * (the first to join the room offers).
 */
import { describe, it, type TestContext } from 'node:test';
import { collectPageErrors } from '../client/browser-harness.ts';
import { launchChromium } from '../support/chromium.ts';
import { type BrowserPeer, exchange, servePeerPage } from './browser-exchange.ts';
import type { PeerPageSnapshot } from './browser-page.ts';

async function openChromium(t: TestContext): Promise<BrowserPeer | undefined> {
  const browser = await launchChromium(t);
  if (!browser) return undefined;
  const url = await servePeerPage(t);
  // Granted media permissions make Chromium show host addresses instead of mDNS names.
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const errors = collectPageErrors(page, 'chromium');
  await page.goto(url);
  await page.waitForFunction(() => 'dyadPeer' in globalThis);
  const call = (expression: string) => page.evaluate(expression);
  return {
    errors,
    start: async (wsUrl, room) => {
      await call(`window.dyadPeer.start(${JSON.stringify(wsUrl)}, ${JSON.stringify(room)})`);
    },
    send: async (text) => {
      await call(`window.dyadPeer.send(${JSON.stringify(text)})`);
    },
    bulkBytes: () => call('window.dyadPeer.bulkBytes()') as Promise<number>,
    bulkDigest: () => call('window.dyadPeer.bulkDigest()') as Promise<string>,
    snapshot: () => call('window.dyadPeer.snapshot()') as Promise<PeerPageSnapshot>,
  };
}

describe('Node ↔ Chromium data channels through dyad serve', { timeout: 90_000 }, () => {
  it('Node offers', async (t) => {
    const browser = await openChromium(t);
    if (browser) await exchange(t, browser, true, 100);
  });
  it('Chromium offers', async (t) => {
    const browser = await openChromium(t);
    if (browser) await exchange(t, browser, false);
  });
});
