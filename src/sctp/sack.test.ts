import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkType, type SackChunk } from './chunks/types.ts';
import { decodePacket } from './packet.ts';
import { AssociationPair, settle } from './test-pair.ts';

interface LinkTap {
  /** The SACKs b sends to a, with the virtual time they arrive. */
  sacks: Array<{ at: number; sack: SackChunk }>;
  /** The virtual times at which packets carrying DATA or I-DATA arrive at b. */
  dataArrivals: number[];
}

function tapLink(pair: AssociationPair): LinkTap {
  const tap: LinkTap = { sacks: [], dataArrivals: [] };
  pair.link.attach(
    (packet) => {
      for (const chunk of decodePacket(packet, { acceptZeroChecksum: true }).chunks) {
        if (chunk.type === ChunkType.SACK) tap.sacks.push({ at: pair.clock.now(), sack: chunk as SackChunk });
      }
      pair.a.receive(packet);
    },
    (packet) => {
      const chunks = decodePacket(packet, { acceptZeroChecksum: true }).chunks;
      if (chunks.some(({ type }) => type === ChunkType.DATA || type === ChunkType.I_DATA))
        tap.dataArrivals.push(pair.clock.now());
      pair.b.receive(packet);
    },
  );
  return tap;
}

test('a lone packet is acknowledged after the 200 ms delayed-SACK timer; packets that arrive together by one SACK right after them', async () => {
  const pair = new AssociationPair({ delayMs: 10 });
  await pair.connect();
  const { sacks, dataArrivals: arrivals } = tapLink(pair);
  const start = pair.clock.now();
  pair.a.send(0, 53, Uint8Array.of(1));
  await pair.runUntil(() => sacks.length === 1, 1000);
  assert.equal(sacks[0]!.at - start, 10 + 200 + 10);
  sacks.length = 0;
  arrivals.length = 0;
  // Twenty full packets: they go out in bursts (cwnd, Max.Burst) and each burst of two or more arrives
  // at one instant, so one SACK answers each burst, sent as soon as the burst has been read (§6.2 asks
  // for every second packet: none waits for the delayed-SACK timer).
  for (let i = 0; i < 20; i++) pair.a.send(0, 53, new Uint8Array(1172));
  await pair.runUntil(() => pair.receivedByB.length === 21, 5000);
  await pair.runUntil(() => pair.a.congestion!.flightSize === 0, 5000);
  const bursts = new Map<number, number>();
  for (const at of arrivals) bursts.set(at, (bursts.get(at) ?? 0) + 1);
  assert.ok(arrivals.length >= 20, `${arrivals.length} packets with DATA`);
  assert.ok(bursts.size < 20, 'packets arrived in bursts');
  for (const [at, packets] of bursts) {
    if (packets < 2) continue;
    assert.equal(
      sacks.filter((sack) => sack.at === at + 10).length,
      1,
      `one SACK, sent at once, for the ${packets} packets that arrived at ${at}`,
    );
  }
  assert.equal(sacks.length, bursts.size, 'one SACK per burst (a lone last packet after the timer)');
});

test('a long burst is acknowledged at least every 16 packets', async () => {
  // Max.Burst off and a cwnd grown by a first transfer: one event releases dozens of packets at once.
  const pair = new AssociationPair({ delayMs: 20 }, { maxBurst: 0 });
  await pair.connect();
  for (let n = 0; n < 200; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await pair.runUntil(() => pair.receivedByB.length === 200, 60_000);
  await pair.runUntil(() => pair.a.congestion!.flightSize === 0, 5000);
  const { sacks } = tapLink(pair);
  const before = pair.link.stats.sent;
  for (let n = 0; n < 4; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await settle();
  const packets = pair.link.stats.sent - before;
  assert.ok(packets >= 40, `${packets} packets left at one instant`);
  await pair.runUntil(() => sacks.length > 0, 1000);
  const firstAt = sacks[0]!.at;
  assert.equal(sacks.filter((sack) => sack.at === firstAt).length, Math.ceil(packets / 16));
});

test('gaps are reported at once with gap ack blocks, and duplicated packets as duplicate TSNs', async () => {
  const pair = new AssociationPair({ delayMs: 10, lossRate: 0.1, duplicateRate: 0.2, seed: 4 });
  await pair.connect();
  const { sacks } = tapLink(pair);
  for (let n = 0; n < 200; n++) pair.a.send(0, 53, new Uint8Array(1000).fill(n));
  await pair.runUntil(() => pair.receivedByB.length === 200, 120_000);
  assert.deepEqual(
    pair.receivedByB.map((m) => m.data[0]),
    Array.from({ length: 200 }, (_, n) => n & 0xff),
    'exactly once, in order',
  );
  assert.ok(pair.link.stats.duplicated > 10);
  assert.ok(
    sacks.some(({ sack }) => sack.gapBlocks.length > 0),
    'gap ack blocks were sent',
  );
  assert.ok(
    sacks.some(({ sack }) => sack.duplicateTsns.length > 0),
    'duplicate TSNs were reported',
  );
  for (const { sack } of sacks) {
    for (const block of sack.gapBlocks) assert.ok(block.start >= 2 && block.end >= block.start);
  }
});

test('Max.Burst (§6.1): a wide-open window still releases at most four packets per event', async () => {
  const pair = new AssociationPair({ delayMs: 20 });
  await pair.connect();
  for (let n = 0; n < 200; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await pair.runUntil(() => pair.receivedByB.length === 200, 60_000);
  assert.ok(pair.a.congestion!.cwnd > 100_000, `cwnd grew to ${pair.a.congestion!.cwnd}`);
  const before = pair.link.stats.sent;
  for (let n = 0; n < 64; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await settle();
  assert.equal(pair.link.stats.sent - before, 4);
  await pair.runUntil(() => pair.receivedByB.length === 264, 60_000);
});

test('a SACK for a burst lets the sender replace what it acknowledged, Max.Burst beyond that (§6.1 D)', async () => {
  // With only Max.Burst packets per SACK, a SACK for a burst of up to 16 shrinks the flight every round
  // trip until T3 fires (4 MiB took ~20 s of virtual time here, cwnd fell to ~12 KB).
  const pair = new AssociationPair({ delayMs: 20 });
  await pair.connect();
  for (let n = 0; n < 200; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await pair.runUntil(() => pair.receivedByB.length === 200, 60_000);
  await pair.runUntil(() => pair.a.congestion!.flightSize === 0, 5000);
  const start = pair.clock.now();
  for (let n = 0; n < 256; n++) pair.a.send(0, 53, new Uint8Array(16 * 1024));
  await pair.runUntil(() => pair.receivedByB.length === 456, 60_000);
  const elapsed = pair.clock.now() - start;
  assert.ok(elapsed < 2000, `4 MiB over a 40 ms round trip took ${elapsed} ms`);
  assert.ok(pair.a.congestion!.cwnd > 100_000, `cwnd ${pair.a.congestion!.cwnd}`);
});
