import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssociationPair } from './test-pair.ts';

function numbered(n: number, size = 200): Uint8Array {
  const bytes = new Uint8Array(size).fill(n & 0xff);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

function numberOf(data: Uint8Array): number {
  const n = new DataView(data.buffer, data.byteOffset).getUint32(0);
  assert.deepEqual(data.subarray(4), numbered(n, data.length).subarray(4), `message ${n} intact`);
  return n;
}

const lossy = { lossRate: 0.1, reorderRate: 0.05, delayMs: 50, jitterMs: 2, seed: 3 };

test('maxRetransmits 0: lost messages are dropped, the rest arrive intact and in order, reliable streams lose nothing', async () => {
  const pair = new AssociationPair(lossy);
  await pair.connect();
  const count = 400;
  for (let n = 0; n < count; n++) {
    pair.a.send(1, 53, numbered(n), { maxRetransmits: 0 });
    pair.a.send(2, 53, numbered(n));
    pair.a.send(3, 53, numbered(n, 3000), { maxRetransmits: 0, unordered: true });
  }
  const onStream = (id: number) =>
    pair.receivedByB.filter((m) => m.streamId === id).map((m) => numberOf(m.data));
  await pair.runUntil(() => onStream(2).length === count, 600_000, 5);
  // Let FORWARD-TSN settle whatever is still outstanding.
  await pair.runUntil(() => pair.a.congestion!.flightSize === 0, 60_000, 5);
  const partial = onStream(1);
  assert.deepEqual(onStream(2), [...Array(count).keys()]);
  assert.deepEqual(
    partial,
    [...partial].sort((x, y) => x - y),
    'ordered partial-reliability stream stays in order',
  );
  assert.equal(new Set(partial).size, partial.length, 'no duplicates');
  assert.ok(
    partial.length < count && partial.length > count * 0.7,
    `${partial.length} of ${count} delivered`,
  );
  const unordered = onStream(3);
  assert.equal(new Set(unordered).size, unordered.length);
  assert.ok(
    unordered.length < count && unordered.length > count * 0.5,
    `${unordered.length} unordered delivered`,
  );
  // Dropped messages are bounded by lost packets: nothing is abandoned that was not lost.
  const dropped = 2 * count - partial.length - unordered.length;
  assert.ok(
    dropped <= pair.link.stats.dropped,
    `${dropped} dropped, ${pair.link.stats.dropped} packets lost`,
  );
});

test('partial reliability on a lossless link delivers every message', async () => {
  const pair = new AssociationPair({ delayMs: 20 });
  await pair.connect();
  for (let n = 0; n < 300; n++) {
    pair.a.send(1, 53, numbered(n, 5000), { maxRetransmits: 0 });
    pair.a.send(2, 53, numbered(n), { maxPacketLifeTimeMs: 30_000, unordered: true });
  }
  await pair.runUntil(() => pair.receivedByB.length === 600, 60_000);
  assert.deepEqual(
    pair.receivedByB.filter((m) => m.streamId === 1).map((m) => numberOf(m.data)),
    [...Array(300).keys()],
  );
});

test('maxPacketLifeTime: expired messages are abandoned instead of retransmitted (DATA and FORWARD-TSN)', async () => {
  const pair = new AssociationPair(lossy, { interleaving: false });
  await pair.connect();
  const count = 300;
  for (let n = 0; n < count; n++) {
    pair.a.send(1, 53, numbered(n), { maxPacketLifeTimeMs: 500 });
    pair.a.send(2, 53, numbered(n));
  }
  const onStream = (id: number) =>
    pair.receivedByB.filter((m) => m.streamId === id).map((m) => numberOf(m.data));
  await pair.runUntil(() => onStream(2).length === count, 600_000, 5);
  await pair.runUntil(() => pair.a.congestion!.flightSize === 0, 60_000, 5);
  const timed = onStream(1);
  assert.deepEqual(
    timed,
    [...timed].sort((x, y) => x - y),
  );
  assert.ok(timed.length < count, `${timed.length} of ${count} within their lifetime`);
  // Later messages on the timed stream still flow after the abandoned ones.
  pair.a.send(1, 53, numbered(9999));
  await pair.runUntil(() => onStream(1).at(-1) === 9999, 60_000, 5);
});

test('unordered messages may overtake each other under reordering; ordered ones never do', async () => {
  const pair = new AssociationPair({ reorderRate: 0.3, delayMs: 10, seed: 11 });
  await pair.connect();
  for (let n = 0; n < 500; n++) {
    pair.a.send(1, 53, numbered(n, 100), { unordered: true });
    pair.a.send(2, 53, numbered(n, 100));
  }
  await pair.runUntil(() => pair.receivedByB.length === 1000, 60_000);
  const unordered = pair.receivedByB.filter((m) => m.streamId === 1).map((m) => numberOf(m.data));
  const ordered = pair.receivedByB.filter((m) => m.streamId === 2).map((m) => numberOf(m.data));
  assert.ok(pair.receivedByB.filter((m) => m.streamId === 1).every((m) => m.unordered));
  assert.deepEqual(ordered, [...Array(500).keys()]);
  assert.notDeepEqual(unordered, [...Array(500).keys()], 'some unordered message arrived early');
  assert.deepEqual(
    [...unordered].sort((x, y) => x - y),
    [...Array(500).keys()],
  );
});

for (const interleaving of [true, false]) {
  test(`a 1 MiB message ${interleaving ? 'does not hold back' : 'holds back'} small messages on other streams (${interleaving ? 'I-DATA' : 'DATA'})`, async () => {
    const options = { maxMessageSize: 1 << 20, remoteMaxMessageSize: 1 << 20, interleaving };
    const pair = new AssociationPair({ delayMs: 10 }, options);
    await pair.connect();
    pair.a.send(1, 53, new Uint8Array(1 << 20));
    pair.a.send(2, 51, new TextEncoder().encode('small'));
    await pair.runUntil(() => pair.receivedByB.length === 2, 60_000);
    assert.deepEqual(
      pair.receivedByB.map((m) => m.streamId),
      interleaving ? [2, 1] : [1, 2],
    );
  });
}
