/**
 * Compatibility with Ant Media's official browser SDK (@antmedia/webrtc_adaptor 2.16.2): two Chromium pages
 * use WebRTCAdaptor.join/leave as Ant Media's peer.html does, with fake camera and microphone, against
 * dyad's signaling server. Both must show advancing remote video; after one leaves and re-joins, again.
 */
import { describe, it } from 'node:test';
import { startServer } from '../../src/server/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { runAntMediaPeerCall } from './peer-page-driver.ts';

describe('Ant Media WebRTCAdaptor 2.16.2 against dyad serve', { timeout: 90_000 }, () => {
  it('two peer pages see each other, and the call comes back after a leave and re-join', async (t) => {
    const browser = await launchChromium(t);
    if (!browser) return;
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    await runAntMediaPeerCall(t, browser, server.wsUrl(), server.wsUrl());
  });
});
