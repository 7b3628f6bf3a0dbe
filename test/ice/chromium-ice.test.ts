/**
 * Our ICE agent against Chromium's RTCPeerConnection, through the real signaling server (see
 * browser-session.ts). Chromium's iceConnectionState must reach 'connected' with our agent controlling and
 * controlled. Chromium hides host addresses behind mDNS names unless told otherwise (test/support/chromium.ts
 * does): registering them makes it announce them by multicast on the LAN interface, which tests must not
 * send to, so the mDNS and peer-reflexive paths are tested on the virtual network (src/ice).
 */
import { test } from 'node:test';
import { startServer } from '../../src/server/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { runIceSession } from './browser-session.ts';

test('Chromium reaches iceConnectionState connected with our agent controlling and controlled', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  // tsx's keepNames wraps functions in __name(), which pages do not have.
  const context = await browser.newContext();
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  t.after(() => server.close());
  for (const role of ['controlling', 'controlled'] as const) {
    await t.test(`our agent ${role}`, async () => {
      const page = await context.newPage();
      try {
        await page.goto(`${server.url}/healthz`);
        await runIceSession(page, { browserName: 'Chromium', server, room: `ice-${role}`, role });
      } finally {
        await page.close();
      }
    });
  }
});
