/**
 * Compatibility with Ant Media's official browser SDK (@antmedia/webrtc_adaptor 2.16.2): two Chromium pages
 * use WebRTCAdaptor.join/leave as Ant Media's peer.html does, with fake camera and microphone, against
 * dyad's signaling server. Both must show advancing remote video; after one leaves and re-joins, again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from '../../src/server/index.ts';
import { serveStatic, waitUntil } from '../client/browser-harness.ts';
import { launchChromium } from '../support/chromium.ts';
import { expectRemoteFramesAdvancing, openPeer, peerPageFiles } from './peer-page-driver.ts';

describe('Ant Media WebRTCAdaptor 2.16.2 against dyad serve', { timeout: 90_000 }, () => {
  it('two peer pages see each other, and the call comes back after a leave and re-join', async (t) => {
    const browser = await launchChromium(t);
    if (!browser) return;
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const baseUrl = await serveStatic(t, peerPageFiles);
    const room = 'antmedia-peer';
    const alice = await openPeer(browser, baseUrl, 'alice');
    const bob = await openPeer(browser, baseUrl, 'bob');
    // Alice passes ICE servers as peer.html does; Bob passes none, so his SDK asks getIceServerConfig.
    await alice.init(server.wsUrl(), []);
    await bob.init(server.wsUrl());
    await alice.join(room);
    await waitUntil(
      async () => (await alice.state()).infos.includes('joined'),
      10_000,
      () => 'alice not joined',
    );
    await bob.join(room);
    await expectRemoteFramesAdvancing([alice, bob], 15);

    await bob.leave(room);
    await waitUntil(
      async () => !(await alice.hasPeerConnection(room)) && (await bob.state()).infos.includes('leaved'),
      10_000,
      async () =>
        `alice still has a peer connection or bob got no leaved: ${JSON.stringify(await bob.state())}`,
    );
    // The call is really down: Alice's remote video stops.
    const stalled = await alice.frames();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok((await alice.frames()) <= stalled + 2, 'remote frames stop after the partner left');

    const rejoinedAt = Date.now();
    await bob.join(room);
    await expectRemoteFramesAdvancing([alice, bob], 15);
    console.log(`call back ${Date.now() - rejoinedAt} ms after the re-join`);
    assert.equal(await alice.hasPeerConnection(room), true);
    assert.deepEqual([...alice.errors, ...bob.errors], []);
    for (const peer of [alice, bob]) assert.deepEqual((await peer.state()).errors, []);
  });
});
