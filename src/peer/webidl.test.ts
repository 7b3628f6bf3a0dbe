/**
 * The WebIDL side of W3C WebRTC: how arguments from JavaScript are converted and refused (null,
 * missing arguments, enums, USVStrings), the event and error constructors, and the DOMException names
 * of refused operations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCError } from '../datachannel/index.ts';
import { RTCDataChannelEvent, RTCPeerConnectionIceEvent } from './events.ts';
import { RTCPeerConnection } from './peer-connection.ts';

const named = (name: string) => (error: unknown) =>
  error instanceof Error && error.name === name
    ? true
    : assert.fail(`expected ${name}, got ${String(error)}`);

test('null and undefined configurations mean the defaults', () => {
  for (const configuration of [null, undefined]) {
    const pc = new RTCPeerConnection(configuration);
    assert.equal(pc.getConfiguration().bundlePolicy, 'balanced');
    pc.close();
  }
});

test('non-nullable configuration members set to null are TypeErrors, in the constructor and setConfiguration', () => {
  const pc = new RTCPeerConnection();
  for (const member of [
    'certificates',
    'bundlePolicy',
    'iceServers',
    'iceTransportPolicy',
    'rtcpMuxPolicy',
  ]) {
    const configuration = { [member]: null } as never;
    assert.throws(() => new RTCPeerConnection(configuration), TypeError, `constructor, ${member}`);
    assert.throws(() => pc.setConfiguration(configuration), TypeError, `setConfiguration, ${member}`);
  }
  pc.close();
});

test('enum values outside their enums are TypeErrors; rtcpMuxPolicy "negotiate" is NotSupportedError', () => {
  for (const credentialType of ['token', 'invalid']) {
    const iceServers = [{ urls: 'turn:127.0.0.1', username: 'u', credential: 'c', credentialType }] as never;
    assert.throws(() => new RTCPeerConnection({ iceServers }), TypeError, credentialType);
  }
  const password = new RTCPeerConnection({
    iceServers: [{ urls: 'turn:127.0.0.1', username: 'u', credential: 'c', credentialType: 'password' }],
  });
  assert.equal(password.getConfiguration().iceServers?.[0]?.credentialType, 'password');
  password.close();
  assert.throws(
    () => new RTCPeerConnection({ rtcpMuxPolicy: 'negotiate' as never }),
    named('NotSupportedError'),
  );
  assert.throws(() => new RTCPeerConnection({ bundlePolicy: 'all' as never }), TypeError);
});

test('createDataChannel converts its arguments as WebIDL does', (t) => {
  const pc = new RTCPeerConnection();
  t.after(() => pc.close());
  assert.throws(
    () => (pc as unknown as { createDataChannel(): unknown }).createDataChannel(),
    TypeError,
    'the label is required',
  );
  const lone = pc.createDataChannel('a\uD800b', { protocol: '\uDC00x' });
  assert.equal(lone.label, 'a\uFFFDb', 'USVString: a lone surrogate becomes U+FFFD');
  assert.equal(lone.protocol, '\uFFFDx');
  const nulls = pc.createDataChannel('n', { ordered: null, protocol: null } as never);
  assert.equal(nulls.ordered, false, 'boolean: null is false');
  assert.equal(nulls.protocol, 'null', 'USVString: null is "null"');
  assert.equal(pc.createDataChannel('d').ordered, true, 'absent members keep their defaults');
  assert.equal(pc.createDataChannel(42 as never).label, '42');
  assert.throws(() => pc.createDataChannel('p', { priority: 'urgent' as never }), TypeError);
  assert.equal(lone.binaryType, 'blob', 'W3C §6.2: binaryType starts as "blob"');
});

test('RTCDataChannelEvent needs a channel; RTCPeerConnectionIceEvent needs a type', (t) => {
  const pc = new RTCPeerConnection();
  t.after(() => pc.close());
  for (const channel of [null, undefined]) {
    assert.throws(() => new RTCDataChannelEvent('datachannel', { channel } as never), TypeError);
  }
  assert.throws(
    () => new (RTCDataChannelEvent as unknown as new (type: string) => Event)('datachannel'),
    TypeError,
  );
  const channel = pc.createDataChannel('x');
  assert.equal(new RTCDataChannelEvent('datachannel', { channel }).channel, channel);
  assert.throws(() => new (RTCPeerConnectionIceEvent as unknown as new () => Event)(), TypeError);
  assert.equal(new RTCPeerConnectionIceEvent('icecandidate').candidate, null);
});

test('RTCError requires an errorDetail of its enum, and its attributes are read-only', () => {
  const Untyped = RTCError as unknown as new (...args: unknown[]) => RTCError;
  assert.throws(() => new Untyped(), TypeError);
  assert.throws(() => new Untyped({}), TypeError);
  assert.throws(() => new Untyped({ errorDetail: 'not-a-detail' }), TypeError);
  const error = new RTCError({ errorDetail: 'sdp-syntax-error', sdpLineNumber: 3 }, 'bad line');
  assert.equal(error.name, 'OperationError');
  assert.throws(() => {
    (error as unknown as { errorDetail: string }).errorDetail = 'dtls-failure';
  }, TypeError);
  assert.throws(() => {
    (error as unknown as { sdpLineNumber: number }).sdpLineNumber = 9;
  }, TypeError);
  assert.equal(error.errorDetail, 'sdp-syntax-error');
  assert.equal(error.sdpLineNumber, 3);
  assert.equal(error.sctpCauseCode, null);
});

test('createOffer after a remote offer is chained behind it and rejects with InvalidStateError', async (t) => {
  const pc = new RTCPeerConnection();
  const peer = new RTCPeerConnection();
  t.after(() => {
    pc.close();
    peer.close();
  });
  peer.createDataChannel('x');
  const offer = await peer.createOffer();
  const applying = pc.setRemoteDescription(offer);
  // Called while the remote offer is not applied yet: the operations chain runs it after.
  const creating = pc.createOffer();
  await applying;
  await assert.rejects(
    creating,
    (error: unknown) => error instanceof DOMException && error.name === 'InvalidStateError',
  );
});

test('a remote description with a malformed ice-ufrag is refused with InvalidAccessError', async (t) => {
  const peer = new RTCPeerConnection();
  t.after(() => peer.close());
  peer.createDataChannel('x');
  const { sdp } = await peer.createOffer();
  // RFC 8839 §5.4: 4 to 256 ice-chars (other characters, or more, are already an SDP syntax error); a
  // password is 22 to 256.
  for (const [attribute, value] of [
    ['ice-ufrag', 'abc'],
    ['ice-pwd', 'tooShortPassword'],
  ]) {
    const pc = new RTCPeerConnection();
    const bad = sdp!.replace(new RegExp(`a=${attribute}:\\S+`), `a=${attribute}:${value}`);
    await assert.rejects(pc.setRemoteDescription({ type: 'offer', sdp: bad }), named('InvalidAccessError'));
    pc.close();
  }
});
