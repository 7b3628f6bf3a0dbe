/**
 * Negotiated channels (W3C §6.2, RFC 8832 §6 "negotiated out of band"): both sides create the channel with
 * the same id and no DCEP; they open together and carry messages both ways, and no datachannel event fires.
 * Also: a channel created once the association is up needs no renegotiation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RTCDataChannel } from '../../src/peer/index.ts';
import { virtualPeers } from '../../src/peer/virtual-peers.ts';

test('negotiated channels open on both sides; later channels need no renegotiation', {
  timeout: 30_000,
}, async (t) => {
  const peers = virtualPeers({ delayMs: 5 });
  t.after(() => peers.close());
  const { a, b } = peers;
  const left = a.createDataChannel('pre', { negotiated: true, id: 7 });
  const right = b.createDataChannel('pre', { negotiated: true, id: 7 });
  const announced: RTCDataChannel[] = [];
  b.ondatachannel = (event) => announced.push(event.channel);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await peers.runUntil(() => left.readyState === 'open' && right.readyState === 'open');
  assert.equal(announced.length, 0);
  const got: string[] = [];
  right.onmessage = (event) => got.push((event as MessageEvent).data as string);
  left.onmessage = (event) => got.push((event as MessageEvent).data as string);
  left.send('to b');
  right.send('to a');
  await peers.runUntil(() => got.length === 2);
  assert.deepEqual(got.sort(), ['to a', 'to b']);

  let renegotiate = false;
  b.onnegotiationneeded = () => {
    renegotiate = true;
  };
  const atA: RTCDataChannel[] = [];
  a.ondatachannel = (event) => atA.push(event.channel);
  const late = b.createDataChannel('late', { protocol: 'p' });
  await peers.runUntil(() => late.readyState === 'open' && atA.length === 1);
  assert.equal(renegotiate, false);
  assert.equal(atA[0]!.label, 'late');
  assert.equal(atA[0]!.protocol, 'p');
  assert.equal(atA[0]!.id, late.id);
  // b answered active (RFC 8829 §5.3.1), so it is the DTLS client and its in-band ids are even (RFC 8832 §6).
  assert.match(b.localDescription!.sdp, /a=setup:active/);
  assert.equal((late.id ?? 1) % 2, 0);
});

test('channels both sides create before negotiating get ids of the parity the answer decides', {
  timeout: 30_000,
}, async (t) => {
  const peers = virtualPeers({ delayMs: 5 });
  t.after(() => peers.close());
  const { a, b } = peers;
  const fromA = a.createDataChannel('from-a');
  const fromB = b.createDataChannel('from-b');
  const atA: RTCDataChannel[] = [];
  const atB: RTCDataChannel[] = [];
  a.ondatachannel = (event) => atA.push(event.channel);
  b.ondatachannel = (event) => atB.push(event.channel);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await peers.runUntil(() => atA.length === 1 && atB.length === 1);
  // The offerer of actpass became the DTLS server (odd ids), the answerer the client (even ids).
  assert.equal(fromA.id! % 2, 1);
  assert.equal(fromB.id! % 2, 0);
  assert.equal(atB[0]!.label, 'from-a');
  assert.equal(atA[0]!.label, 'from-b');
});
