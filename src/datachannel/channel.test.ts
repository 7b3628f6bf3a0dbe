import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactArrayBuffer, type RTCDataChannel } from './channel.ts';
import { RTCErrorEvent } from './errors.ts';
import { ChannelPair } from './test-channels.ts';

/** Collects what arrives, binary as ArrayBuffers (the channel's binaryType is set to "arraybuffer"). */
function collect(channel: RTCDataChannel): unknown[] {
  channel.binaryType = 'arraybuffer';
  const messages: unknown[] = [];
  channel.onmessage = (event) => messages.push((event as MessageEvent).data);
  return messages;
}

function events(channel: RTCDataChannel): string[] {
  const seen: string[] = [];
  for (const type of ['open', 'closing', 'close', 'error', 'bufferedamountlow']) {
    channel.addEventListener(type, () => seen.push(type));
  }
  return seen;
}

test('an in-band channel opens on both sides with its label, protocol and settings (RFC 8832)', async () => {
  const pair = new ChannelPair();
  const early = pair.a.createDataChannel('early', { protocol: 'chat/1', ordered: false, maxRetransmits: 2 });
  assert.equal(early.readyState, 'connecting');
  assert.equal(early.id, 0, 'with the DTLS role known the id is assigned at once (W3C §6.1)');
  const earlyEvents = events(early);
  await pair.connect();
  const late = pair.a.createDataChannel('late', { maxPacketLifeTime: 300, priority: 'high' });
  const fromB = pair.b.createDataChannel('from-b');
  await pair.runUntil(
    () => pair.openedOnB.length === 2 && pair.openedOnA.length === 1 && late.readyState === 'open',
  );
  assert.deepEqual(earlyEvents, ['open']);
  assert.deepEqual(
    [early.id, late.id, fromB.id],
    [0, 2, 1],
    'the DTLS client takes even ids, the server odd',
  );
  const [remoteEarly, remoteLate] = pair.openedOnB;
  assert.equal(remoteEarly!.label, 'early');
  assert.equal(remoteEarly!.protocol, 'chat/1');
  assert.equal(remoteEarly!.ordered, false);
  assert.equal(remoteEarly!.maxRetransmits, 2);
  assert.equal(remoteEarly!.maxPacketLifeTime, null);
  assert.equal(remoteEarly!.negotiated, false);
  assert.equal(remoteEarly!.readyState, 'open');
  assert.equal(remoteLate!.maxPacketLifeTime, 300);
  assert.equal(remoteLate!.priority, 'high');
  assert.equal(pair.openedOnA[0]!.label, 'from-b');
  assert.equal(pair.openedOnA[0]!.id, 1);
});

test('strings, binary of every kind, Blobs and empty messages arrive with the right types', async () => {
  const pair = new ChannelPair();
  await pair.connect();
  const channel = pair.a.createDataChannel('data');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const remote = pair.openedOnB[0]!;
  assert.equal(remote.binaryType, 'blob', 'W3C §6.2: binaryType starts as "blob"');
  assert.equal(channel.binaryType, 'blob');
  const received = collect(remote);
  const backing = Uint8Array.of(9, 1, 2, 3, 9);
  channel.send('héllo');
  channel.send(Uint8Array.of(1, 2, 3).buffer);
  channel.send(backing.subarray(1, 4));
  channel.send(new DataView(backing.buffer, 1, 2));
  channel.send(new Blob(['blob ', 'text']));
  channel.send('after the blob');
  channel.send('');
  channel.send(new ArrayBuffer(0));
  await pair.runUntil(() => received.length === 8);
  assert.equal(received[0], 'héllo');
  assert.deepEqual(new Uint8Array(received[1] as ArrayBuffer), Uint8Array.of(1, 2, 3));
  assert.deepEqual(new Uint8Array(received[2] as ArrayBuffer), Uint8Array.of(1, 2, 3));
  assert.deepEqual(new Uint8Array(received[3] as ArrayBuffer), Uint8Array.of(1, 2));
  assert.equal(new TextDecoder().decode(received[4] as ArrayBuffer), 'blob text');
  assert.equal(received[5], 'after the blob', 'a send after a Blob waits for it');
  assert.equal(received[6], '');
  assert.ok(received[7] instanceof ArrayBuffer && received[7].byteLength === 0);
  remote.binaryType = 'blob';
  assert.throws(() => {
    remote.binaryType = 'text' as 'blob';
  }, /SyntaxError|binaryType/);
  channel.send(Uint8Array.of(7, 7));
  await pair.runUntil(() => received.length === 9);
  assert.ok(received[8] instanceof Blob);
  assert.deepEqual(new Uint8Array(await (received[8] as Blob).arrayBuffer()), Uint8Array.of(7, 7));
});

test('send() copies: a buffer changed after send() arrives as it was; lone surrogates arrive as U+FFFD', async () => {
  const pair = new ChannelPair();
  await pair.connect();
  const channel = pair.a.createDataChannel('copies');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const received = collect(pair.openedOnB[0]!);
  const reused = Uint8Array.of(1, 2, 3);
  channel.send(reused);
  reused.fill(0);
  const large = new Uint8Array(8192).fill(5);
  channel.send(large);
  large.fill(0);
  channel.send('a\uD800b\uDC00');
  await pair.runUntil(() => received.length === 3);
  assert.deepEqual(new Uint8Array(received[0] as ArrayBuffer), Uint8Array.of(1, 2, 3));
  assert.ok(new Uint8Array(received[1] as ArrayBuffer).every((byte) => byte === 5));
  assert.equal(received[2], 'a\uFFFDb\uFFFD');
});

test('negotiated channels open without DCEP on the agreed id', async () => {
  const pair = new ChannelPair();
  const a = pair.a.createDataChannel('n', { negotiated: true, id: 7, ordered: false });
  const b = pair.b.createDataChannel('n', { negotiated: true, id: 7, ordered: false });
  assert.throws(() => pair.a.createDataChannel('dup', { negotiated: true, id: 7 }), /OperationError|in use/);
  await pair.connect();
  await pair.runUntil(() => a.readyState === 'open' && b.readyState === 'open');
  const received = collect(b);
  a.send('unordered right away');
  await pair.runUntil(() => received.length === 1);
  assert.deepEqual(received, ['unordered right away']);
  assert.equal(pair.openedOnB.length, 0);
});

test('createDataChannel and send check their arguments like a browser', async () => {
  const pair = new ChannelPair();
  assert.throws(() => pair.a.createDataChannel('x', { maxRetransmits: 1, maxPacketLifeTime: 1 }), TypeError);
  assert.throws(() => pair.a.createDataChannel('x', { negotiated: true }), TypeError);
  assert.throws(() => pair.a.createDataChannel('x', { negotiated: true, id: 65535 }), TypeError);
  assert.throws(() => pair.a.createDataChannel('x'.repeat(65536)), TypeError);
  const channel = pair.a.createDataChannel('x');
  assert.throws(
    () => channel.send('too early'),
    (error: unknown) => (error as DOMException).name === 'InvalidStateError',
  );
  await pair.connect();
  await pair.runUntil(() => channel.readyState === 'open');
  assert.throws(() => channel.send(new Uint8Array(256 * 1024 + 1)), TypeError);
  channel.send(new Uint8Array(256 * 1024));
});

test('closing one channel resets its stream; the peer sees closing then close; others stay open', async () => {
  const pair = new ChannelPair({ delayMs: 10 });
  await pair.connect();
  const first = pair.a.createDataChannel('first');
  const second = pair.a.createDataChannel('second');
  await pair.runUntil(() => pair.openedOnB.length === 2 && second.readyState === 'open');
  const [remoteFirst, remoteSecond] = pair.openedOnB as [RTCDataChannel, RTCDataChannel];
  const localEvents = events(first);
  const remoteEvents = events(remoteFirst);
  const received = collect(remoteFirst);
  for (let i = 0; i < 20; i++) first.send(`last words ${i}`);
  first.close();
  assert.equal(first.readyState, 'closing');
  assert.throws(
    () => first.send('no'),
    (error: unknown) => (error as DOMException).name === 'InvalidStateError',
  );
  await pair.runUntil(() => first.readyState === 'closed' && remoteFirst.readyState === 'closed');
  assert.equal(received.length, 20, 'queued messages are delivered before the reset');
  // The queued bytes drained to the (default, zero) threshold before the close.
  assert.deepEqual(localEvents, ['bufferedamountlow', 'close']);
  assert.deepEqual(remoteEvents, ['closing', 'close']);
  const stillOpen = collect(remoteSecond);
  second.send('still here');
  remoteSecond.send('me too');
  const back = collect(second);
  await pair.runUntil(() => stillOpen.length === 1 && back.length === 1);
  // The freed stream id is reused by the next channel.
  const third = pair.a.createDataChannel('third');
  await pair.runUntil(() => pair.openedOnB.length === 3);
  assert.equal(third.id, first.id);
});

test('bufferedAmount rises on send and bufferedamountlow fires when it falls to the threshold', async () => {
  const pair = new ChannelPair({ delayMs: 20 });
  await pair.connect();
  const channel = pair.a.createDataChannel('bulk');
  await pair.runUntil(() => channel.readyState === 'open');
  channel.bufferedAmountLowThreshold = 64 * 1024;
  let lows = 0;
  let amountAtLow = -1;
  channel.onbufferedamountlow = () => {
    lows++;
    amountAtLow = channel.bufferedAmount;
  };
  for (let i = 0; i < 64; i++) channel.send(new Uint8Array(16 * 1024));
  channel.send('');
  assert.equal(channel.bufferedAmount, 1024 * 1024, 'empty messages count zero bytes');
  await pair.runUntil(() => channel.bufferedAmount === 0);
  assert.equal(lows, 1);
  assert.ok(amountAtLow <= 64 * 1024 && amountAtLow >= 0);
});

test('an aborted association fails every channel with an sctp-failure RTCErrorEvent', async () => {
  const pair = new ChannelPair();
  await pair.connect();
  const channel = pair.a.createDataChannel('doomed');
  await pair.runUntil(() => pair.openedOnB.length === 1);
  const remote = pair.openedOnB[0]!;
  let error: RTCErrorEvent | undefined;
  remote.onerror = (event) => {
    error = event as RTCErrorEvent;
  };
  const seen = events(remote);
  pair.sctp.a.abort();
  await pair.runUntil(() => remote.readyState === 'closed');
  assert.equal(channel.readyState, 'closed');
  assert.ok(error instanceof RTCErrorEvent);
  assert.equal(error.error.errorDetail, 'sctp-failure');
  assert.equal(error.error.sctpCauseCode, 12);
  assert.deepEqual(seen, ['error', 'close']);
});

test('deprecated partial PPIDs 54 and 52 are joined with the message that completes them', async () => {
  const pair = new ChannelPair();
  await pair.connect();
  const channel = pair.a.createDataChannel('legacy');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const received = collect(pair.openedOnB[0]!);
  const utf8 = new TextEncoder();
  pair.sctp.a.send(channel.id!, 54, utf8.encode('par'));
  pair.sctp.a.send(channel.id!, 51, utf8.encode('tial'));
  pair.sctp.a.send(channel.id!, 52, Uint8Array.of(1));
  pair.sctp.a.send(channel.id!, 53, Uint8Array.of(2));
  await pair.runUntil(() => received.length === 2);
  assert.equal(received[0], 'partial');
  assert.deepEqual(new Uint8Array(received[1] as ArrayBuffer), Uint8Array.of(1, 2));
});

test('a negotiated id beyond the negotiated stream count fails the channel when the association opens', async () => {
  const pair = new ChannelPair({}, { streams: 16 });
  const fits = pair.a.createDataChannel('fits', { negotiated: true, id: 15 });
  const beyond = pair.a.createDataChannel('beyond', { negotiated: true, id: 16 });
  let error: RTCErrorEvent | undefined;
  beyond.onerror = (event) => {
    error = event as RTCErrorEvent;
  };
  await pair.connect();
  await pair.runUntil(() => fits.readyState === 'open' && beyond.readyState === 'closed');
  assert.equal(error?.error.errorDetail, 'data-channel-failure');
});

test('a received message is exactly its bytes, also when it arrives as a view into a larger Node Buffer', () => {
  const packet = Buffer.from('header|payload|trailer');
  const view = packet.subarray(7, 14);
  const buffer = exactArrayBuffer(view);
  assert.equal(buffer.byteLength, 7);
  assert.equal(Buffer.from(buffer).toString(), 'payload');
});

test('in-band channels wait for the DTLS role for their ids, then take its parity, unique (RFC 8832 §6)', async () => {
  const pair = new ChannelPair({}, {}, {});
  const first = pair.a.createDataChannel('first');
  const second = pair.a.createDataChannel('second');
  assert.deepEqual([first.id, second.id], [null, null], 'no id before the DTLS role is known');
  // W3C §4.4.1.6: the description that settles the role gives the waiting channels their ids at once.
  pair.a.dtlsRole = 'server';
  pair.b.dtlsRole = 'client';
  assert.deepEqual([first.id, second.id], [1, 3], 'a DTLS server takes odd ids');
  const third = pair.a.createDataChannel('third');
  assert.equal(third.id, 5, 'a channel created after the role is known has its id at once');
  const fromB = pair.b.createDataChannel('from-b');
  assert.equal(fromB.id, 0, 'a DTLS client takes even ids');
  await pair.connect();
  await pair.runUntil(() => pair.openedOnB.length === 3 && pair.openedOnA.length === 1);
  assert.deepEqual(
    pair.openedOnB.map((channel) => [channel.label, channel.id]),
    [
      ['first', 1],
      ['second', 3],
      ['third', 5],
    ],
  );
  assert.equal(first.readyState, 'open');
  assert.throws(() => {
    pair.a.dtlsRole = 'client';
  }, /fixed once the association is open/);
});

test('a role that changes before the association opens renumbers the channels not yet announced', () => {
  const pair = new ChannelPair({}, {}, {});
  const channel = pair.a.createDataChannel('x');
  pair.a.dtlsRole = 'client';
  assert.equal(channel.id, 0);
  pair.a.dtlsRole = 'server';
  assert.equal(channel.id, 1);
  const negotiated = pair.a.createDataChannel('n', { negotiated: true, id: 3 });
  assert.equal(pair.a.createDataChannel('y').id, 5, 'ids stay unique, negotiated ones included');
  assert.equal(negotiated.id, 3);
});
