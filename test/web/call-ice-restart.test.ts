/**
 * The call page's "connecting" and ICE "reconnecting" states in real Chromium. The two people run in two
 * browsers; pausing one browser (SIGSTOP) cuts the media path as a network change would, while both
 * signaling connections stay open. The other side shows "reconnecting", restarts ICE after the grace
 * period, and the call comes back with new ICE credentials once the paused browser runs again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchMarker, processTreeOf, signalProcesses } from '../support/process-tree.ts';
import {
  ensureWebBuild,
  framesAdvance,
  launchBrowser,
  newPage,
  screenshots,
  seriousA11yViolations,
  startWebServer,
  waitForStatus,
} from './harness.ts';

/** The ICE username fragment of a page's local or remote description (an ICE restart changes both). */
function iceUfrag(page: Page, side: 'local' | 'remote'): Promise<string | undefined> {
  return page.evaluate((which) => {
    const pc = (window as unknown as { dyad: { call: { peerConnection?: RTCPeerConnection } } }).dyad.call
      .peerConnection;
    const description = which === 'local' ? pc?.localDescription : pc?.remoteDescription;
    return /a=ice-ufrag:(\S+)/.exec(description?.sdp ?? '')?.[1];
  }, side);
}

test('media path cut mid-call: "reconnecting", an ICE restart, and the call comes back', async (t) => {
  ensureWebBuild();
  const markerB = launchMarker();
  const browserA = await launchBrowser(t);
  const browserB = await launchBrowser(t, [markerB]);
  if (!browserA || !browserB) return;
  const server = await startWebServer(t);
  const name = `ice-${randomBytes(4).toString('hex')}`;
  const { page: a } = await newPage(browserA);
  const { page: b } = await newPage(browserB);
  // A joins first, so A offers. Holding A's answer keeps the call in "connecting" long enough to look at.
  // A string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
  await a.addInitScript({
    content: `{
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      window.releaseAnswer = () => release();
      const original = RTCPeerConnection.prototype.setRemoteDescription;
      RTCPeerConnection.prototype.setRemoteDescription = async function (description) {
        if (description && description.type === 'answer') await held;
        return original.call(this, description);
      };
    }`,
  });
  await a.goto(`${server.url}/call/${name}`);
  await waitForStatus(a, 'Waiting for the other person');
  await b.goto(`${server.url}/call/${name}`);
  await waitForStatus(a, 'Connecting to the other person');
  await screenshots(a, 'call-connecting');
  assert.deepEqual(await seriousA11yViolations(a), []);
  await a.evaluate(() => (window as unknown as { releaseAnswer: () => void }).releaseAnswer());
  await waitForStatus(a, /^Connected/);
  await waitForStatus(b, /^Connected/);
  await framesAdvance(a);
  const localBefore = await iceUfrag(a, 'local');
  const remoteBefore = await iceUfrag(a, 'remote');
  assert.ok(localBefore && remoteBefore);

  const pausedB = processTreeOf(markerB);
  try {
    signalProcesses(pausedB, 'SIGSTOP');
    // Chromium calls a path disconnected after about 2.5 s without STUN answers.
    await waitForStatus(a, 'Connection interrupted. Reconnecting (ICE restart)', 15_000);
    await screenshots(a, 'call-ice-reconnecting');
    assert.deepEqual(await seriousA11yViolations(a), []);
    // Past the SDK's 4 s grace period A restarts ICE (new local credentials) while B is still paused;
    // the offer waits in B's socket. Chromium alone would wait about 30 s for "failed".
    const restartedAt = Date.now();
    while ((await iceUfrag(a, 'local')) === localBefore) {
      assert.ok(Date.now() - restartedAt < 10_000, 'A restarted ICE within the grace period');
      await a.waitForTimeout(200);
    }
  } finally {
    signalProcesses(pausedB, 'SIGCONT');
  }
  await waitForStatus(a, /^Connected/, 30_000);
  await waitForStatus(b, /^Connected/, 30_000);
  // ICE may come back on the old pair before B's answer arrives; the restart completes when it does.
  const resumedAt = Date.now();
  let remoteAfter = await iceUfrag(a, 'remote');
  while (remoteAfter === remoteBefore && Date.now() - resumedAt < 15_000) {
    await a.waitForTimeout(200);
    remoteAfter = await iceUfrag(a, 'remote');
  }
  assert.ok(remoteAfter);
  assert.notEqual(remoteAfter, remoteBefore, 'B answered the restart with new credentials');
  await framesAdvance(a);
  await framesAdvance(b);
});
