import type { TestContext } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { findProgram } from './external.ts';

/** Flags that keep Chromium quiet on this closed network and make WebRTC work on loopback. */
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  // No mDNS names for host candidates: registering them makes Chromium announce them by multicast on the
  // LAN interface, and tests may send nothing off this machine.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Launches Debian's Chromium through playwright-core (never a downloaded browser); Playwright gives each
 * launch a fresh temporary profile and removes it. Returns undefined when the test was skipped because
 * Chromium is missing.
 */
export async function launchChromium(t: TestContext, extraArgs: string[] = []): Promise<Browser | undefined> {
  const executablePath = findProgram(t, 'chromium', ['/usr/bin/chromium', '/usr/bin/chromium-browser']);
  if (!executablePath) return undefined;
  const browser = await chromium.launch({ executablePath, args: [...chromiumArgs, ...extraArgs] });
  t.after(() => browser.close().catch(() => {}));
  return browser;
}
