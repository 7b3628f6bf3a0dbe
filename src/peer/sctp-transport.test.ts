/**
 * W3C §4.4.1.6 and §6.1: when pc.sctp appears (with the first description that has a data section), what
 * a rollback does to it, its states, and the data channel ids the DTLS role decides (RFC 8832 §6).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection } from './peer-connection.ts';
import { RTCSctpTransport } from './rtc-transports.ts';
import { virtualPeers } from './virtual-peers.ts';

/** Whether an attribute reads null (a call, so that the assertion does not narrow the attribute's type). */
const isNull = (value: unknown) => value === null;
const sctpOf = (pc: RTCPeerConnection) => pc.sctp;

/** Our own offer turned into the answer of a peer that chose `setup` (active makes us the DTLS server). */
async function answerOwnOffer(pc: RTCPeerConnection, setup: 'active' | 'passive'): Promise<void> {
  await pc.setLocalDescription();
  const sdp = pc.localDescription!.sdp.replace('a=setup:actpass', `a=setup:${setup}`);
  await pc.setRemoteDescription({ type: 'answer', sdp });
}

test('channel ids follow the DTLS role: odd on the DTLS server, even on the client, assigned with the answer', async (t) => {
  for (const [setup, parity] of [
    ['active', 1],
    ['passive', 0],
  ] as const) {
    const pc = new RTCPeerConnection();
    t.after(() => pc.close());
    const early = pc.createDataChannel('early');
    assert.equal(early.id, null, 'no id while the DTLS role is unknown');
    await answerOwnOffer(pc, setup);
    const late = pc.createDataChannel('late');
    assert.equal(early.id! % 2, parity, `${setup} answer: the waiting channel got an id of our role`);
    assert.equal(late.id! % 2, parity, `${setup} answer: a new channel has an id of our role at once`);
    assert.notEqual(early.id, late.id);
  }
});

test('pc.sctp exists from the first description with a data section, local or remote, until its rollback', async (t) => {
  const local = new RTCPeerConnection();
  const remote = new RTCPeerConnection();
  t.after(() => {
    local.close();
    remote.close();
  });
  local.createDataChannel('x');
  const offer = await local.createOffer();
  assert.ok(isNull(sctpOf(local)), 'createOffer alone does not make it');
  await local.setLocalDescription(offer);
  const made = local.sctp;
  assert.ok(made instanceof RTCSctpTransport, 'a local offer with a data section makes it');
  assert.equal(made.state, 'connecting');
  assert.equal(made.maxChannels, null);
  await local.setLocalDescription({ type: 'rollback' });
  assert.ok(isNull(sctpOf(local)), 'rolling that offer back removes it');
  await local.setLocalDescription();
  assert.ok(sctpOf(local) instanceof RTCSctpTransport, 'and the next offer makes it again');

  await remote.setRemoteDescription(offer);
  assert.ok(sctpOf(remote) instanceof RTCSctpTransport, 'a remote offer with a data section makes it');
  await remote.setRemoteDescription({ type: 'rollback' });
  assert.ok(isNull(sctpOf(remote)));
  await remote.setRemoteDescription(offer);
  await remote.setLocalDescription();
  const answered = sctpOf(remote);
  assert.ok(answered instanceof RTCSctpTransport);
  assert.equal(answered.maxChannels, null, 'maxChannels is unknown until the association is up');
});

test('pc.sctp goes connecting, connected, closed; maxChannels is known once connected', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  const channel = a.createDataChannel('x');
  await a.setLocalDescription();
  const sctpA = a.sctp!;
  const states: string[] = [sctpA.state];
  sctpA.onstatechange = () => states.push(sctpA.state);
  await b.setRemoteDescription(a.localDescription!);
  const sctpB = b.sctp!;
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  assert.equal(a.sctp, sctpA, 'the answer keeps the transport the offer made');
  assert.equal(b.sctp, sctpB);
  await peers.runUntil(() => channel.readyState === 'open' && sctpB.state === 'connected');
  assert.equal(sctpA.state, 'connected');
  assert.ok(sctpA.maxChannels !== null && sctpA.maxChannels > 0);
  assert.equal(sctpA.maxChannels, sctpB.maxChannels);
  b.close();
  await peers.runUntil(() => sctpA.state === 'closed');
  assert.deepEqual(states, ['connecting', 'connected', 'closed']);
});
