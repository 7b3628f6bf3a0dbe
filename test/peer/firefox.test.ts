/**
 * Node ↔ Firefox ESR through dyad serve: Firefox brings NSS for DTLS and its own usrsctp, independent of
 * Chromium's. Firefox is driven by puppeteer-core over WebDriver BiDi; the page is the Chromium test's.
 */
import { describe, it, type TestContext } from 'node:test';
import puppeteer from 'puppeteer-core';
import { findProgram } from '../support/external.ts';
import { type BrowserPeer, exchange, servePeerPage } from './browser-exchange.ts';
import type { PeerPageSnapshot } from './browser-page.ts';

async function openFirefox(t: TestContext): Promise<BrowserPeer | undefined> {
  const executablePath = findProgram(t, 'firefox-esr', ['/usr/bin/firefox-esr', '/usr/bin/firefox']);
  if (!executablePath) return undefined;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      'media.peerconnection.ice.loopback': true,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
    },
  });
  t.after(() => browser.close().catch(() => {}));
  const url = await servePeerPage(t);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`firefox: uncaught ${String(error)}`));
  await page.goto(url);
  // Expressions as strings run in the page's own realm (BiDi's isolated realm hides window.dyadPeer).
  const deadline = Date.now() + 10_000;
  while (!(await page.evaluate("'dyadPeer' in window"))) {
    if (Date.now() > deadline) throw new Error('the page did not load');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    errors,
    start: async (wsUrl, room) => {
      await page.evaluate(`window.dyadPeer.start(${JSON.stringify(wsUrl)}, ${JSON.stringify(room)})`);
    },
    send: async (text) => {
      await page.evaluate(`window.dyadPeer.send(${JSON.stringify(text)})`);
    },
    bulkBytes: () => page.evaluate('window.dyadPeer.bulkBytes()') as Promise<number>,
    bulkDigest: () => page.evaluate('window.dyadPeer.bulkDigest()') as Promise<string>,
    snapshot: () => page.evaluate('window.dyadPeer.snapshot()') as Promise<PeerPageSnapshot>,
  };
}

describe('Node ↔ Firefox data channels through dyad serve', { timeout: 90_000 }, () => {
  it('Node offers', async (t) => {
    const browser = await openFirefox(t);
    if (browser) await exchange(t, browser, true, 100);
  });
  it('Firefox offers', async (t) => {
    const browser = await openFirefox(t);
    if (browser) await exchange(t, browser, false);
  });
});
