/**
 * Node ↔ Node: two of our RTCPeerConnections over real loopback UDP (ICE, DTLS 1.2, SCTP, DCEP), with
 * the W3C API only: channel open, strings and binary both ways, 16 MiB checked by SHA-256, closing one
 * channel while another stays open, and close().
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { RTCDataChannel } from '../../src/peer/index.ts';
import { createPair, negotiate, nextEvent, opened, remoteChannel } from './pair.ts';

/** The next `count` messages, binary as ArrayBuffers. */
function messages(channel: RTCDataChannel, count: number): Promise<unknown[]> {
  channel.binaryType = 'arraybuffer';
  const received: unknown[] = [];
  return new Promise((resolve) => {
    const onMessage = (event: Event) => {
      received.push((event as MessageEvent).data);
      if (received.length === count) {
        channel.removeEventListener('message', onMessage);
        resolve(received);
      }
    };
    channel.addEventListener('message', onMessage);
  });
}

test('a data channel opens and carries strings and binary both ways', { timeout: 30_000 }, async (t) => {
  const pair = createPair();
  t.after(() => pair.close());
  const { offerer, answerer } = pair;
  const negotiationNeeded = nextEvent(offerer, 'negotiationneeded');
  const local = offerer.createDataChannel('chat', { protocol: 'text' });
  await negotiationNeeded;
  const incoming = remoteChannel(answerer);
  const connected = new Promise<void>((resolve) => {
    offerer.addEventListener('connectionstatechange', () => {
      if (offerer.connectionState === 'connected') resolve();
    });
  });
  await negotiate(offerer, answerer);
  assert.equal(offerer.signalingState, 'stable');
  assert.equal(answerer.signalingState, 'stable');
  const remote = await incoming;
  await opened(local);
  await connected;
  assert.equal(remote.label, 'chat');
  assert.equal(remote.protocol, 'text');
  // RFC 8832 §6: the offerer is the DTLS server (the answer says active) and picks odd ids.
  assert.equal(local.id, remote.id);
  assert.equal((local.id ?? 0) % 2, 1);
  assert.ok(offerer.sctp && offerer.sctp.state === 'connected');
  assert.equal(offerer.sctp.maxMessageSize, 256 * 1024);

  const atRemote = messages(remote, 3);
  local.send('hello');
  local.send(new Uint8Array([1, 2, 3]));
  local.send('');
  const [text, binary, empty] = await atRemote;
  assert.equal(text, 'hello');
  assert.deepEqual(new Uint8Array(binary as ArrayBuffer), new Uint8Array([1, 2, 3]));
  assert.equal(empty, '');

  const atLocal = messages(local, 2);
  remote.send('back');
  remote.send(new Uint8Array(70_000).fill(7));
  const [back, large] = await atLocal;
  assert.equal(back, 'back');
  assert.equal((large as ArrayBuffer).byteLength, 70_000);

  const stats = await offerer.getStats();
  const types = new Set([...stats.values()].map((entry) => entry.type));
  for (const type of [
    'peer-connection',
    'transport',
    'candidate-pair',
    'local-candidate',
    'remote-candidate',
    'certificate',
    'data-channel',
  ]) {
    assert.ok(types.has(type), `stats have ${type}`);
  }
  const channelStats = [...stats.values()].find((entry) => entry.type === 'data-channel');
  assert.equal(channelStats?.messagesSent, 3);
  assert.equal(channelStats?.messagesReceived, 2);
  assert.equal(channelStats?.bytesSent, 'hello'.length + 3, 'payload bytes only: the empty message has none');
  assert.equal(channelStats?.bytesReceived, 'back'.length + 70_000);
  const transport = stats.get('T01');
  assert.equal(transport?.dtlsState, 'connected');
  assert.ok((transport?.bytesReceived as number) > 70_000);
});

test('16 MiB cross intact (SHA-256), a channel closes while another stays open, then close()', {
  timeout: 60_000,
}, async (t) => {
  const pair = createPair();
  t.after(() => pair.close());
  const { offerer, answerer } = pair;
  const bulk = offerer.createDataChannel('bulk');
  const side = offerer.createDataChannel('side');
  const arrivals: RTCDataChannel[] = [];
  const bothArrived = new Promise<void>((resolve) => {
    answerer.addEventListener('datachannel', (event) => {
      arrivals.push((event as Event & { channel: RTCDataChannel }).channel);
      if (arrivals.length === 2) resolve();
    });
  });
  await negotiate(offerer, answerer);
  await Promise.all([opened(bulk), opened(side), bothArrived]);
  const remoteBulk = arrivals.find((channel) => channel.label === 'bulk')!;
  const remoteSide = arrivals.find((channel) => channel.label === 'side')!;

  const total = 16 * 1024 * 1024;
  const chunk = 64 * 1024;
  const data = randomBytes(total);
  const expected = createHash('sha256').update(data).digest('hex');
  const hash = createHash('sha256');
  let received = 0;
  remoteBulk.binaryType = 'arraybuffer';
  const done = new Promise<void>((resolve) => {
    remoteBulk.addEventListener('message', (event) => {
      const bytes = new Uint8Array((event as MessageEvent).data as ArrayBuffer);
      hash.update(bytes);
      received += bytes.length;
      if (received === total) resolve();
    });
  });
  bulk.bufferedAmountLowThreshold = 1024 * 1024;
  const started = Date.now();
  for (let offset = 0; offset < total; offset += chunk) {
    if (bulk.bufferedAmount > 4 * 1024 * 1024) await nextEvent(bulk, 'bufferedamountlow');
    bulk.send(data.subarray(offset, offset + chunk));
  }
  await done;
  const seconds = (Date.now() - started) / 1000;
  assert.equal(hash.digest('hex'), expected);
  t.diagnostic(`16 MiB in ${seconds.toFixed(2)} s (${(total / 1e6 / seconds).toFixed(1)} MB/s)`);

  // RFC 8831 §6.7: closing one channel resets its stream; the other keeps working.
  const remoteClosed = nextEvent(remoteBulk, 'close');
  bulk.close();
  await Promise.all([remoteClosed, nextEvent(bulk, 'close')]);
  assert.equal(remoteBulk.readyState, 'closed');
  assert.equal(side.readyState, 'open');
  const echoed = nextEvent<MessageEvent>(remoteSide, 'message');
  side.send('still here');
  assert.equal((await echoed).data, 'still here');

  // The peer learns of close() through SCTP ABORT and DTLS close_notify.
  const sideClosed = nextEvent(remoteSide, 'close');
  offerer.close();
  assert.equal(offerer.signalingState, 'closed');
  assert.equal(offerer.connectionState, 'closed');
  await sideClosed;
  assert.equal(remoteSide.readyState, 'closed');
  await assert.rejects(offerer.createOffer(), { name: 'InvalidStateError' });
  assert.throws(() => offerer.createDataChannel('late'), { name: 'InvalidStateError' });
});

test('a=max-message-size decides the largest message each way (RFC 8841 §6)', {
  timeout: 30_000,
}, async (t) => {
  // The offerer accepts 2 MiB messages, the answerer the default 256 KiB.
  const pair = createPair([2 * 1024 * 1024]);
  t.after(() => pair.close());
  const { offerer, answerer } = pair;
  const local = offerer.createDataChannel('big', { ordered: false });
  const incoming = remoteChannel(answerer);
  await negotiate(offerer, answerer);
  const remote = await incoming;
  await opened(local);
  assert.equal(answerer.sctp?.maxMessageSize, 2 * 1024 * 1024);
  assert.equal(offerer.sctp?.maxMessageSize, 256 * 1024);
  assert.throws(() => local.send(new Uint8Array(256 * 1024 + 1)), TypeError);
  const atOfferer = messages(local, 1);
  const big = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
  remote.send(big);
  const [received] = await atOfferer;
  assert.deepEqual(new Uint8Array(received as ArrayBuffer), big);
});
