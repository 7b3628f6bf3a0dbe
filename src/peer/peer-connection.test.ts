import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection } from './peer-connection.ts';
import { virtualPeers } from './virtual-peers.ts';

const typeOf = (description: { type: string } | null) => description?.type;

const named = (name: string) => (error: unknown) =>
  error instanceof Error && error.name === name
    ? true
    : assert.fail(`expected ${name}, got ${String(error)}`);

test('negotiationneeded fires once for the first channel and again after restartIce', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  let fired = 0;
  a.onnegotiationneeded = () => fired++;
  a.createDataChannel('one');
  a.createDataChannel('two');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fired, 1);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fired, 1, 'a negotiated data section needs nothing more');
  const ufrag = a.localDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1];
  a.restartIce();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fired, 2);
  const offer = await a.createOffer();
  assert.notEqual(offer.sdp!.match(/a=ice-ufrag:(\S+)/)![1], ufrag, 'the restart offer has new credentials');
});

test('descriptions move between pending and current, and rollback undoes an offer', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  a.createDataChannel('x');
  const states: string[] = [];
  a.onsignalingstatechange = () => states.push(a.signalingState);
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  assert.equal(a.pendingLocalDescription?.type, 'offer');
  assert.equal(a.currentLocalDescription, null);
  await a.setLocalDescription({ type: 'rollback' });
  assert.equal(a.signalingState, 'stable');
  assert.equal(a.localDescription, null);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  assert.equal(b.pendingRemoteDescription?.type, 'offer');
  assert.equal(b.canTrickleIceCandidates, true);
  await b.setRemoteDescription({ type: 'rollback' });
  assert.equal(b.remoteDescription, null);
  await b.setRemoteDescription(a.localDescription!);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  assert.equal(b.currentLocalDescription?.type, 'answer');
  assert.equal(b.currentRemoteDescription?.type, 'offer');
  assert.equal(b.pendingRemoteDescription, null);
  await a.setRemoteDescription(answer);
  assert.equal(a.currentRemoteDescription?.sdp, answer.sdp);
  assert.equal(typeOf(a.currentLocalDescription), 'offer');
  assert.deepEqual(states, ['have-local-offer', 'stable', 'have-local-offer', 'stable']);
  assert.ok(a.sctp, 'the SCTP transport exists once the answer is applied');
});

test('a remote offer in have-local-offer rolls the local offer back (perfect negotiation)', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  a.createDataChannel('a');
  b.createDataChannel('b');
  await a.setLocalDescription();
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  assert.equal(a.signalingState, 'have-remote-offer');
  await a.setLocalDescription();
  assert.equal(a.localDescription?.type, 'answer');
});

test('API errors carry the W3C DOMException names', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  await assert.rejects(a.createAnswer(), named('InvalidStateError'));
  await assert.rejects(a.setRemoteDescription({ type: 'answer', sdp: '' }), named('InvalidStateError'));
  await assert.rejects(a.addIceCandidate({ candidate: '', sdpMid: '0' }), named('InvalidStateError'));
  await assert.rejects(a.addIceCandidate({ candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' }), TypeError);
  a.createDataChannel('x');
  const offer = await a.createOffer();
  const munged = offer.sdp!.replace('a=max-message-size:262144', 'a=max-message-size:1');
  await assert.rejects(
    a.setLocalDescription({ type: 'offer', sdp: munged }),
    named('InvalidModificationError'),
  );
  await assert.rejects(b.setRemoteDescription({ type: 'offer', sdp: 'v=0\r\nbogus' }), (error: unknown) => {
    assert.ok(error instanceof DOMException && error.name === 'OperationError');
    assert.equal((error as DOMException & { errorDetail: string }).errorDetail, 'sdp-syntax-error');
    return true;
  });
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  await assert.rejects(
    b.addIceCandidate({ candidate: 'candidate:1 1 udp 1 10.0.0.9 5 typ host', sdpMid: 'nope' }),
    named('OperationError'),
  );
  await assert.rejects(
    b.addIceCandidate({ candidate: 'candidate:garbage', sdpMid: '0' }),
    named('OperationError'),
  );
  await b.addIceCandidate({ candidate: 'candidate:1 1 udp 1 10.0.0.9 5 typ host', sdpMid: '0' });
  await b.addIceCandidate();
  // An answer that drops the offer's section is refused.
  const answer = await b.createAnswer();
  const noSections = answer.sdp!.slice(0, answer.sdp!.indexOf('m='));
  await assert.rejects(
    a.setRemoteDescription({ type: 'answer', sdp: noSections }),
    named('InvalidAccessError'),
  );
  assert.throws(() => a.addTrack(), named('NotSupportedError'));
  assert.throws(() => a.getTransceivers(), /next part/);
});

test('the operations chain runs calls in order', async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a } = peers;
  a.createDataChannel('x');
  const order: string[] = [];
  const offer = a.createOffer().then(() => order.push('createOffer'));
  const local = a.setLocalDescription().then(() => order.push('setLocalDescription'));
  const rollback = a.setLocalDescription({ type: 'rollback' }).then(() => order.push('rollback'));
  await Promise.all([offer, local, rollback]);
  assert.deepEqual(order, ['createOffer', 'setLocalDescription', 'rollback']);
  assert.equal(a.signalingState, 'stable');
});

test('configuration: defaults, certificates and the setConfiguration rules', async () => {
  const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
  assert.ok(certificate.expires > Date.now());
  assert.match(certificate.getFingerprints()[0]!.value, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  await assert.rejects(
    RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-521' }),
    named('NotSupportedError'),
  );
  const pc = new RTCPeerConnection({
    certificates: [certificate],
    iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
  });
  try {
    const configuration = pc.getConfiguration();
    assert.equal(configuration.bundlePolicy, 'balanced');
    assert.equal(configuration.rtcpMuxPolicy, 'require');
    assert.equal(configuration.iceTransportPolicy, 'all');
    assert.deepEqual(configuration.certificates, [certificate]);
    pc.setConfiguration({ iceServers: [], iceTransportPolicy: 'relay' });
    assert.deepEqual(pc.getConfiguration().iceServers, []);
    assert.equal(pc.getConfiguration().iceTransportPolicy, 'relay');
    assert.throws(
      () => pc.setConfiguration({ bundlePolicy: 'max-bundle' }),
      named('InvalidModificationError'),
    );
    const other = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
    assert.throws(() => pc.setConfiguration({ certificates: [other] }), named('InvalidModificationError'));
    assert.throws(
      () => pc.setConfiguration({ iceServers: [{ urls: 'http://example.com' }] }),
      named('SyntaxError'),
    );
    assert.throws(
      () => pc.setConfiguration({ iceServers: [{ urls: 'turn:127.0.0.1' }] }),
      named('InvalidAccessError'),
    );
    assert.equal(pc.sctp, null);
    assert.equal(pc.canTrickleIceCandidates, null);
    assert.equal(pc.connectionState, 'new');
  } finally {
    pc.close();
  }
  assert.throws(() => pc.setConfiguration({}), named('InvalidStateError'));
  assert.equal(pc.signalingState, 'closed');
});
