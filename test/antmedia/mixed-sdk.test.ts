/**
 * Dyad's client SDK and Ant Media's WebRTCAdaptor 2.16.2 in one call through dyad serve: each side in turn is
 * the peer that gets `start` and offers, and both show advancing remote video each time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from '../../src/server/index.ts';
import { serveStatic, waitUntil } from '../client/browser-harness.ts';
import { callPageFiles, expectFramesAdvancing, openCallPage } from '../client/call-page-driver.ts';
import { launchChromium } from '../support/chromium.ts';
import { expectRemoteFramesAdvancing, openPeer, peerPageFiles } from './peer-page-driver.ts';

describe('Dyad client SDK with Ant Media WebRTCAdaptor', { timeout: 90_000 }, () => {
  it('calls in both offer directions', async (t) => {
    const browser = await launchChromium(t);
    if (!browser) return;
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const callPage = await callPageFiles();
    const baseUrl = await serveStatic(t, (pathname) => callPage(pathname) ?? peerPageFiles(pathname));
    const room = 'mixed-sdks';
    const antmedia = await openPeer(browser, baseUrl, 'antmedia');
    const dyad = await openCallPage(browser, baseUrl, 'dyad');

    // 1. Ant Media's SDK waits, gets `start` and offers; Dyad answers.
    await antmedia.init(server.wsUrl(), []);
    await antmedia.join(room);
    await waitUntil(
      async () => (await antmedia.state()).infos.includes('joined'),
      10_000,
      () => 'not joined',
    );
    await dyad.run('start', server.wsUrl(), room);
    await expectFramesAdvancing(dyad, 1, 15);
    await expectRemoteFramesAdvancing([antmedia], 15);
    assert.equal((await dyad.snapshot()).polite, true);

    // 2. Ant Media's SDK leaves and re-joins: now Dyad waits, gets `start` and offers.
    await antmedia.leave(room);
    await waitUntil(
      async () => (await dyad.snapshot()).connectionState === undefined,
      10_000,
      () => 'no stop',
    );
    await antmedia.join(room);
    await waitUntil(
      async () => (await dyad.snapshot()).session === 2,
      10_000,
      () => 'no second session',
    );
    await expectFramesAdvancing(dyad, 1, 15);
    await expectRemoteFramesAdvancing([antmedia], 15);
    const snapshot = await dyad.snapshot();
    assert.equal(snapshot.polite, false);
    assert.equal(snapshot.signalingState, 'stable');
    assert.deepEqual(
      [...antmedia.errors, ...dyad.errors, ...snapshot.errors, ...(await antmedia.state()).errors],
      [],
    );
  });
});
