/**
 * Our ICE agent against Chromium's RTCPeerConnection, through the real signaling server (see
 * browser-session.ts). Chromium's iceConnectionState must reach 'connected' with our agent controlling and
 * controlled, with host addresses visible and hidden behind mDNS names (resolved by multicast DNS, or
 * learnt as peer-reflexive).
 */
import { test } from 'node:test';
import { startServer } from '../../src/server/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { runIceSession } from './browser-session.ts';

type Scenario = { name: string; hidden: boolean; resolve: boolean };
const scenarios: Scenario[] = [
  { name: 'host addresses visible', hidden: false, resolve: true },
  // Chromium hides host addresses behind mDNS names unless media permission was granted.
  { name: 'mDNS host names, resolved by multicast DNS', hidden: true, resolve: true },
  { name: 'mDNS host names, learnt as peer-reflexive', hidden: true, resolve: false },
];

for (const scenario of scenarios) {
  test(`Chromium reaches iceConnectionState connected with our agent (${scenario.name})`, async (t) => {
    // Chromium shows host addresses to pages served from a loopback origin; a page from another origin
    // (dyad.test, mapped to 127.0.0.1) without media permission sees mDNS names, like any fresh tab.
    const browser = await launchChromium(
      t,
      scenario.hidden
        ? ['--host-resolver-rules=MAP dyad.test 127.0.0.1']
        : ['--disable-features=WebRtcHideLocalIpsWithMdns'],
    );
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
          await page.goto(
            scenario.hidden ? `http://dyad.test:${server.port}/healthz` : `${server.url}/healthz`,
          );
          await runIceSession(page, {
            browserName: 'Chromium',
            server,
            room: `ice-${role}-${scenario.hidden ? 'mdns' : 'ip'}-${scenario.resolve}`,
            role,
            hidden: scenario.hidden,
            resolve: scenario.resolve,
          });
        } finally {
          await page.close();
        }
      });
    }
  });
}
