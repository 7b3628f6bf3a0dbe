/**
 * A data-channel handover to a new callee (RFC 9429 §5.11: a new certificate only with an ICE restart):
 * the caller restarts ICE towards a second peer, which answers with its own certificate; a new DTLS and
 * SCTP association replaces the old one and a channel the new callee opens reaches the caller.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RTCIceCandidate, RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { nextEvent, opened, remoteChannel } from './pair.ts';

test('a caller hands its data channel over to a new callee through an ICE restart', {
  timeout: 60_000,
}, async (t) => {
  const transports = [new LoopbackIceTransport(), new LoopbackIceTransport(), new LoopbackIceTransport()];
  const [caller, first, second] = transports.map(
    (iceTransport) => new RTCPeerConnection({}, { iceTransport, includeLoopback: true }),
  ) as [RTCPeerConnection, RTCPeerConnection, RTCPeerConnection];
  t.after(() => {
    for (const pc of [caller, first, second]) pc.close();
    for (const transport of transports) transport.close();
  });
  const trickle = (from: RTCPeerConnection, to: RTCPeerConnection) =>
    from.addEventListener('icecandidate', (event) => {
      const { candidate } = event as Event & { candidate: RTCIceCandidate | null };
      // A caller's candidates also reach the old callee; what it refuses does not matter here.
      to.addIceCandidate(candidate).catch(() => {});
    });
  trickle(caller, first);
  trickle(first, caller);

  const initial = caller.createDataChannel('initial');
  const atFirst = remoteChannel(first);
  const offer = await caller.createOffer();
  await caller.setLocalDescription(offer);
  await first.setRemoteDescription(offer);
  const answer = await first.createAnswer();
  // The caller applies the answer before the callee does, as a fast signaling path allows.
  await caller.setRemoteDescription(answer);
  await first.setLocalDescription(answer);
  const firstChannel = await atFirst;
  await opened(initial);
  const hello = nextEvent<MessageEvent>(initial, 'message');
  firstChannel.send('hello');
  assert.equal((await hello).data, 'hello');

  trickle(caller, second);
  trickle(second, caller);
  const restart = await caller.createOffer({ iceRestart: true });
  await caller.setLocalDescription(restart);
  await second.setRemoteDescription(restart);
  const handover = await second.createAnswer();
  await caller.setRemoteDescription(handover);
  await second.setLocalDescription(handover);
  // The first callee stays open: its old association must not disturb the new one.

  const back = second.createDataChannel('second back');
  const atCaller = await remoteChannel(caller);
  assert.equal(atCaller.label, 'second back');
  await opened(atCaller);
  await opened(back);
  const again = nextEvent<MessageEvent>(back, 'message');
  atCaller.send('hello again');
  assert.equal((await again).data, 'hello again');
});
