/**
 * RFC 8842 §5.5: once a DTLS association runs, every later answer keeps its role (a=setup consistent with
 * it), whichever side offers; only a new association (a new certificate, with an ICE restart) may pick
 * again. Browsers refuse an answer that flips it ("Failed to set SSL role for the transport").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RTCDataChannel } from '../datachannel/index.ts';
import { answerSetup } from './description.ts';
import { virtualPeers } from './virtual-peers.ts';

const setupOf = (sdp: string | undefined) => /a=setup:(\S+)/.exec(sdp ?? '')?.[1];

test('answerSetup keeps an established role for an actpass offer and follows an explicit one', () => {
  assert.equal(answerSetup('actpass'), 'active', 'a first answer takes the DTLS client role');
  assert.equal(answerSetup('actpass', 'server'), 'passive');
  assert.equal(answerSetup('actpass', 'client'), 'active');
  assert.equal(answerSetup('active', 'client'), 'passive', 'an explicit offer decides');
});

test('the DTLS server answers a renegotiation passive, and the channel carries on', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  const channel = a.createDataChannel('chat');
  let remote: RTCDataChannel | undefined;
  b.ondatachannel = (event) => {
    remote = event.channel;
  };
  // a offers first: b answers active, so a is the DTLS server.
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  assert.equal(setupOf(b.localDescription?.sdp), 'active');
  await peers.runUntil(() => channel.readyState === 'open' && remote !== undefined);

  for (let round = 0; round < 3; round++) {
    // Now b offers (actpass again, as browsers do); a's answer must keep a the DTLS server.
    await b.setLocalDescription();
    assert.equal(setupOf(b.localDescription?.sdp), 'actpass');
    await a.setRemoteDescription(b.localDescription!);
    await a.setLocalDescription();
    assert.equal(setupOf(a.localDescription?.sdp), 'passive', `round ${round}: a stays the DTLS server`);
    await b.setRemoteDescription(a.localDescription!);
  }
  const received: unknown[] = [];
  remote!.onmessage = (event) => received.push((event as MessageEvent).data);
  channel.send('still here');
  await peers.runUntil(() => received.length === 1);
  assert.deepEqual(received, ['still here']);
});
