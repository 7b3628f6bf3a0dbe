/**
 * The client SDK in Chromium against the real signaling server: two pages (fake camera and microphone)
 * make a call, exchange data-channel messages, renegotiate in glare, and survive a server restart.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { serveStatic, waitUntil } from './browser-harness.ts';
import { callPageFiles, expectFramesAdvancing, openCallPage } from './call-page-driver.ts';

async function startCall(t: TestContext, server: () => RunningServer, room: string) {
  const browser = await launchChromium(t);
  if (!browser) return undefined;
  const baseUrl = await serveStatic(t, await callPageFiles());
  const alice = await openCallPage(browser, baseUrl, 'alice');
  const bob = await openCallPage(browser, baseUrl, 'bob');
  await alice.run('start', server().wsUrl(), room);
  await bob.run('start', server().wsUrl(), room);
  for (const page of [alice, bob]) await expectFramesAdvancing(page, 1, 15);
  return { alice, bob };
}

describe('client SDK in Chromium through dyad serve', { timeout: 90_000 }, () => {
  it('makes a call: video frames both ways and a data-channel round trip', async (t) => {
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const call = await startCall(t, () => server, 'call-basic');
    if (!call) return;
    const { alice, bob } = call;
    const [a, b] = [await alice.snapshot(), await bob.snapshot()];
    assert.equal(a.polite, false, 'alice was waiting and got start');
    assert.equal(b.polite, true);
    assert.equal(a.connectionState, 'connected');
    assert.equal(b.connectionState, 'connected');
    await waitUntil(
      async () =>
        (await alice.snapshot()).channelState === 'open' && (await bob.snapshot()).channelState === 'open',
      10_000,
      async () => JSON.stringify([await alice.snapshot(), await bob.snapshot()]),
    );
    await alice.run('send', 'ping from alice');
    await waitUntil(
      async () => (await alice.snapshot()).received.includes('echo ping from alice'),
      10_000,
      async () => JSON.stringify([await alice.snapshot(), await bob.snapshot()]),
    );
    assert.deepEqual((await bob.snapshot()).received, ['ping from alice']);
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  it('converges when both peers add a track at the same moment (glare)', async (t) => {
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const call = await startCall(t, () => server, 'call-glare');
    if (!call) return;
    const { alice, bob } = call;
    // Holding each offer for 300 ms makes both offers cross in flight: real glare, every run.
    for (const page of [alice, bob]) await page.run('setHoldOffersMs', 300);
    await Promise.all([alice.run('addCameraTrack'), bob.run('addCameraTrack')]);
    for (const page of [alice, bob]) await expectFramesAdvancing(page, 2, 15);
    await waitUntil(
      async () =>
        (await alice.snapshot()).signalingState === 'stable' &&
        (await bob.snapshot()).signalingState === 'stable',
      10_000,
      async () => JSON.stringify([await alice.snapshot(), await bob.snapshot()]),
    );
    const [a, b] = [await alice.snapshot(), await bob.snapshot()];
    assert.ok(a.glareOffers >= 1 && b.glareOffers >= 1, 'both offers crossed in flight');
    assert.equal(a.rollbacks + b.rollbacks, 0, 'the polite peer yields without rollback');
    assert.equal(a.remoteVideos.length, 2);
    assert.equal(b.remoteVideos.length, 2);
    assert.equal(a.session, 1, 'renegotiated in place, no new peer connection');
    assert.deepEqual([...alice.errors, ...bob.errors, ...a.errors, ...b.errors], []);
  });

  it('survives a server restart on the same port: re-joins and media flows again', async (t) => {
    let server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const call = await startCall(t, () => server, 'call-restart');
    if (!call) return;
    const { alice, bob } = call;
    const { port } = server;
    const restartedAt = Date.now();
    await server.close();
    server = await startServer({ host: '127.0.0.1', port, logLevel: 'silent' });
    await waitUntil(
      async () => (await alice.snapshot()).session >= 2 && (await bob.snapshot()).session >= 2,
      20_000,
      async () => JSON.stringify([await alice.snapshot(), await bob.snapshot()]),
    );
    for (const page of [alice, bob]) await expectFramesAdvancing(page, 1, 15);
    const [a, b] = [await alice.snapshot(), await bob.snapshot()];
    console.log(`call back ${Date.now() - restartedAt} ms after the restart began`);
    for (const snapshot of [a, b]) {
      assert.equal(snapshot.state, 'joined');
      assert.equal(snapshot.connectionState, 'connected');
      assert.ok(snapshot.reconnects >= 1);
    }
    assert.notEqual(a.polite, b.polite);
    // Attempts made while the port was closed are refused: that is the backoff at work, not a failure.
    const unexpected = [...alice.errors, ...bob.errors].filter(
      (error) => !error.includes('ERR_CONNECTION_REFUSED'),
    );
    assert.deepEqual(unexpected, []);
  });
});
