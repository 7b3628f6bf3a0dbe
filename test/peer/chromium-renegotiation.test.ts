/**
 * A Chromium page in a data-channel call with a Node peer adds its camera mid-call and renegotiates
 * (RFC 8829 §5.2.2 subsequent offer). The Node peer, with no media yet, answers the video section rejected
 * (RFC 8829 §5.3.1) and keeps the DTLS role the call started with (RFC 8842 §5.5): an answer that flips it
 * makes Chromium fail with "Failed to set SSL role for the transport". Twenty calls in a row, the Node
 * peer offering first (so it is the DTLS server and the page's re-offer says actpass).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { collectPageErrors, serveStatic } from '../client/browser-harness.ts';
import { launchChromium } from '../support/chromium.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { nextEvent, opened } from './pair.ts';

const CALLS = 20;

/** Waits until our connection has gathered, so its description carries every candidate (no trickle). */
async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') await nextEvent(pc, 'icegatheringstatechange', 10_000);
  while (pc.iceGatheringState !== 'complete') await nextEvent(pc, 'icegatheringstatechange', 10_000);
  return pc.localDescription!.sdp;
}

// The page's side, run in Chromium through page.evaluate: one RTCPeerConnection at a time.
const pageAnswer = async (offer: string): Promise<string> => {
  const page = globalThis as unknown as { pc?: RTCPeerConnection; echo?: boolean };
  page.pc?.close();
  const pc = new RTCPeerConnection();
  page.pc = pc;
  pc.ondatachannel = ({ channel }) => {
    channel.onmessage = (event) => channel.send(`echo ${(event as MessageEvent).data}`);
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
  });
  return pc.localDescription!.sdp;
};

const pageAddsCamera = async (): Promise<string> => {
  const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  pc.addTrack(stream.getVideoTracks()[0]!, stream);
  await pc.setLocalDescription();
  return pc.localDescription!.sdp;
};

const pageTakesAnswer = async (answer: string): Promise<string> => {
  const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
  try {
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return `ok ${pc.signalingState} ${pc.connectionState}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
};

async function oneCall(page: Page, call: number): Promise<void> {
  const iceTransport = new LoopbackIceTransport();
  const pc = new RTCPeerConnection({}, { iceTransport, includeLoopback: true });
  try {
    const channel = pc.createDataChannel('chat');
    await pc.setLocalDescription();
    const answer = await page.evaluate(pageAnswer, await gathered(pc));
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    assert.match(answer, /a=setup:active/, 'Chromium answers active: the Node peer is the DTLS server');
    await opened(channel);
    await roundTrip(channel, `call ${call} before`);

    const reoffer = await page.evaluate(pageAddsCamera);
    assert.match(reoffer, /m=video/);
    await pc.setRemoteDescription({ type: 'offer', sdp: reoffer });
    await pc.setLocalDescription();
    const ours = pc.localDescription!.sdp;
    assert.match(ours, /m=video 0 /, 'the video section is answered rejected');
    const outcome = await page.evaluate(pageTakesAnswer, ours);
    assert.match(outcome, /^ok stable/, `call ${call}: Chromium took the answer (${outcome})`);
    await roundTrip(channel, `call ${call} after`);
  } finally {
    pc.close();
    setTimeout(() => iceTransport.close(), 100);
  }
}

async function roundTrip(channel: RTCDataChannel, text: string): Promise<void> {
  const echoed = nextEvent<MessageEvent>(channel, 'message');
  channel.send(text);
  assert.equal((await echoed).data, `echo ${text}`);
}

test(`Chromium adds its camera mid-call against a Node peer, ${CALLS} calls in a row`, {
  timeout: 180_000,
}, async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  // http://127.0.0.1 is a secure context: getUserMedia works (with the fake camera of chromiumArgs).
  const url = await serveStatic(t, (pathname) =>
    pathname === '/'
      ? {
          body: '<!doctype html><link rel="icon" href="data:,"><title>renegotiation</title>',
          type: 'text/html',
        }
      : undefined,
  );
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const errors = collectPageErrors(page, 'chromium');
  await page.goto(`${url}/`);
  for (let call = 1; call <= CALLS; call++) await oneCall(page, call);
  assert.deepEqual(errors, []);
});
