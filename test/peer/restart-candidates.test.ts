/**
 * ICE restart with trickled candidates (RFC 8445 §9, JSEP §5.9, W3C §4.4.1.6 addIceCandidate): candidates
 * of the generation a restart replaced, arriving late, are ignored and their promises resolve; data flows
 * at every step of the restart and after it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RTCDataChannel, type RTCIceCandidate, RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { nextEvent, opened, remoteChannel } from './pair.ts';

async function pingPong(from: RTCDataChannel, to: RTCDataChannel, text: string): Promise<void> {
  const arrived = nextEvent<MessageEvent>(to, 'message');
  from.send(text);
  assert.equal((await arrived).data, text);
  const back = nextEvent<MessageEvent>(from, 'message');
  to.send(`${text} back`);
  assert.equal((await back).data, `${text} back`);
}

test('late candidates of the replaced ICE generation resolve and are ignored; the channel survives', {
  timeout: 60_000,
}, async (t) => {
  const transports = [new LoopbackIceTransport(), new LoopbackIceTransport()];
  const [a, b] = transports.map(
    (iceTransport) => new RTCPeerConnection({}, { iceTransport, includeLoopback: true }),
  ) as [RTCPeerConnection, RTCPeerConnection];
  t.after(() => {
    a.close();
    b.close();
    for (const transport of transports) transport.close();
  });
  const failures: string[] = [];
  const sent = new Map<RTCPeerConnection, RTCIceCandidate[]>([
    [a, []],
    [b, []],
  ]);
  // An ordered signaling path: a candidate of a new generation reaches the peer after the description
  // that announced it (W3C §4.4.1.6 refuses a ufrag no applied description has).
  const held = new Map<RTCPeerConnection, RTCIceCandidate[]>([
    [a, []],
    [b, []],
  ]);
  const deliver = (to: RTCPeerConnection, candidate: RTCIceCandidate | null) =>
    to.addIceCandidate(candidate).catch((error: Error) => failures.push(error.message));
  const trickle = (from: RTCPeerConnection, to: RTCPeerConnection) =>
    from.addEventListener('icecandidate', (event) => {
      const { candidate } = event as Event & { candidate: RTCIceCandidate | null };
      if (candidate) sent.get(from)!.push(candidate);
      const ufrag = candidate?.usernameFragment;
      if (ufrag && !to.remoteDescription?.sdp.includes(`a=ice-ufrag:${ufrag}`)) held.get(to)!.push(candidate);
      else deliver(to, candidate);
    });
  const flush = (to: RTCPeerConnection) => {
    for (const candidate of held.get(to)!.splice(0)) deliver(to, candidate);
  };
  trickle(a, b);
  trickle(b, a);

  const local = a.createDataChannel('chat');
  const remoteArrives = remoteChannel(b);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  flush(b);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  flush(a);
  const remote = await remoteArrives;
  await opened(local);
  await pingPong(local, remote, 'before');
  const oldGeneration = new Map([...sent].map(([pc, list]) => [pc, [...list]]));
  assert.ok(oldGeneration.get(a)!.length > 0 && oldGeneration.get(b)!.length > 0);

  a.restartIce();
  await a.setLocalDescription();
  await pingPong(local, remote, 'offer set');
  await b.setRemoteDescription(a.localDescription!);
  flush(b);
  await pingPong(local, remote, 'offer applied');
  await b.setLocalDescription();
  await pingPong(local, remote, 'answer set');
  await a.setRemoteDescription(b.localDescription!);
  flush(a);
  await pingPong(local, remote, 'answer applied');

  // The old generation's candidates arrive late, as a slow signaling path delivers them.
  const late = [
    ...oldGeneration.get(a)!.map((candidate) => b.addIceCandidate(candidate)),
    ...oldGeneration.get(b)!.map((candidate) => a.addIceCandidate(candidate)),
  ];
  await Promise.all(late);
  await pingPong(local, remote, 'after the late candidates');
  assert.deepEqual(failures, [], 'no candidate was rejected');
  assert.equal(local.readyState, 'open');
  assert.equal(remote.readyState, 'open');
});
