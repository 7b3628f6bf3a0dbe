import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCauseCode } from './chunks/types.ts';
import type { SctpAssociationError } from './errors.ts';
import type { StreamResetDirection } from './stream-reset.ts';
import { AssociationPair, settle } from './test-pair.ts';

type ResetEvent = [number[], StreamResetDirection, boolean];

test('resetting one stream (RFC 6525) delivers its queued data first and leaves the others open', async () => {
  const pair = new AssociationPair({ delayMs: 20, lossRate: 0.05, seed: 5 });
  await pair.connect();
  const resetsA: ResetEvent[] = [];
  const resetsB: ResetEvent[] = [];
  pair.a.handlers.onStreamsReset = (ids, direction, ok) => resetsA.push([ids, direction, ok]);
  pair.b.handlers.onStreamsReset = (ids, direction, ok) => {
    resetsB.push([ids, direction, ok]);
    // RFC 8831 §6.7: the peer answers an incoming reset by resetting its outgoing side too.
    if (direction === 'incoming') pair.b.resetStreams(ids);
  };
  for (let n = 0; n < 50; n++)
    for (const stream of [1, 2, 3]) pair.a.send(stream, 53, Uint8Array.of(stream, n));
  pair.a.resetStreams([2]);
  await pair.runUntil(() => resetsA.length === 2 && resetsB.length === 2, 60_000);
  assert.deepEqual(resetsA, [
    [[2], 'outgoing', true],
    [[2], 'incoming', true],
  ]);
  assert.deepEqual(resetsB, [
    [[2], 'incoming', true],
    [[2], 'outgoing', true],
  ]);
  const stream2 = pair.receivedByB.filter((m) => m.streamId === 2);
  assert.equal(stream2.length, 50, 'everything sent before the reset arrived');
  // Streams 1 and 3 keep working, and stream 2 starts again from SSN 0.
  pair.a.send(1, 53, Uint8Array.of(1, 99));
  pair.a.send(2, 53, Uint8Array.of(2, 99));
  pair.b.send(3, 53, Uint8Array.of(3, 99));
  await pair.runUntil(() => pair.receivedByB.length === 152 && pair.receivedByA.length === 1, 60_000);
  assert.deepEqual([...pair.receivedByA[0]!.data], [3, 99]);
  assert.deepEqual(
    pair.receivedByB.slice(150).map((m) => [m.streamId, ...m.data]),
    [
      [1, 1, 99],
      [2, 2, 99],
    ],
  );
});

test('bufferedAmount counts queued bytes and reports each decrease down to zero', async () => {
  const pair = new AssociationPair({ delayMs: 50 });
  await pair.connect();
  const reports: number[] = [];
  pair.a.handlers.onBufferedAmount = (streamId, amount) => {
    if (streamId === 4) reports.push(amount);
  };
  for (let n = 0; n < 100; n++) pair.a.send(4, 53, new Uint8Array(10_000));
  pair.a.send(4, 50, new Uint8Array(7), {}, false);
  assert.equal(pair.a.bufferedAmount(4), 1_000_000);
  await pair.runUntil(() => pair.receivedByB.length === 101, 60_000);
  assert.equal(pair.a.bufferedAmount(4), 0);
  assert.equal(reports.at(-1), 0);
  assert.ok(reports.length > 3, 'several decreases: the congestion window releases data in steps');
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i]! < reports[i - 1]!);
});

test('SHUTDOWN delivers everything queued, then both sides close without error', async () => {
  const pair = new AssociationPair({ delayMs: 30, lossRate: 0.05, seed: 9 });
  await pair.connect();
  const closed: Array<SctpAssociationError | undefined | 'open'> = ['open', 'open'];
  pair.a.handlers.onClose = (error) => {
    closed[0] = error;
  };
  pair.b.handlers.onClose = (error) => {
    closed[1] = error;
  };
  for (let n = 0; n < 100; n++) pair.a.send(0, 53, new Uint8Array(3000).fill(n));
  pair.a.shutdown();
  assert.throws(() => pair.a.send(0, 53, Uint8Array.of(1)), /state shutdown-pending/);
  await pair.runUntil(() => pair.a.state === 'closed' && pair.b.state === 'closed', 120_000);
  assert.deepEqual(closed, [undefined, undefined]);
  assert.equal(pair.receivedByB.length, 100);
});

test('ABORT ends both sides at once with the user-initiated cause', async () => {
  const pair = new AssociationPair({ delayMs: 10 });
  await pair.connect();
  let errorB: SctpAssociationError | undefined;
  pair.b.handlers.onClose = (error) => {
    errorB = error;
  };
  pair.a.abort('done here');
  assert.equal(pair.a.state, 'closed');
  await pair.runUntil(() => pair.b.state === 'closed', 1000);
  assert.equal(errorB?.causeCode, ErrorCauseCode.USER_INITIATED_ABORT);
});

test('heartbeats measure the RTT on an idle association; a dead path ends it (Association.Max.Retrans)', async () => {
  const pair = new AssociationPair({ delayMs: 40 }, { heartbeatIntervalMs: 5000 });
  await pair.connect();
  assert.equal(pair.a.rto.srtt, undefined);
  await pair.runUntil(() => pair.a.rto.srtt !== undefined, 20_000, 10);
  assert.ok(Math.abs(pair.a.rto.srtt! - 80) < 1, `srtt ${pair.a.rto.srtt}`);
  let error: SctpAssociationError | undefined;
  pair.a.handlers.onClose = (e) => {
    error = e;
  };
  pair.link.up = false;
  await pair.runUntil(() => pair.a.state === 'closed', 3_600_000, 100);
  assert.match(error?.message ?? '', /unreachable/);
});

test('T3-rtx retransmits through an outage and the association recovers', async () => {
  const pair = new AssociationPair({ delayMs: 10 });
  await pair.connect();
  pair.link.up = false;
  pair.a.send(0, 53, new Uint8Array(5000));
  await settle();
  pair.clock.advance(7000);
  assert.ok(pair.a.rto.rto >= 2000, `RTO backed off to ${pair.a.rto.rto}`);
  pair.link.up = true;
  await pair.runUntil(() => pair.receivedByB.length === 1, 60_000, 10);
  assert.equal(pair.a.state, 'established');
});

test('T1-init retransmits INIT until the peer answers, and gives up after Max.Init.Retransmits', async () => {
  const pair = new AssociationPair({ delayMs: 5 }, { maxInitRetransmits: 3 });
  pair.link.up = false;
  pair.a.connect();
  pair.clock.advance(2500);
  pair.link.up = true;
  await pair.runUntil(() => pair.a.state === 'established' && pair.b.state === 'established', 10_000);

  const lonely = new AssociationPair({}, { maxInitRetransmits: 3 });
  lonely.link.up = false;
  let error: SctpAssociationError | undefined;
  lonely.a.handlers.onClose = (e) => {
    error = e;
  };
  lonely.a.connect();
  lonely.clock.advance(1000 + 2000 + 4000 + 8000 + 1);
  assert.equal(lonely.a.state, 'closed');
  assert.match(error?.message ?? '', /Max.Init.Retransmits/);
});

test('a message beyond our max message size aborts the association with a protocol violation', async () => {
  const pair = new AssociationPair({}, { remoteMaxMessageSize: 1 << 20 }, { maxMessageSize: 64 * 1024 });
  await pair.connect();
  let errorA: SctpAssociationError | undefined;
  pair.a.handlers.onClose = (error) => {
    errorA = error;
  };
  assert.throws(() => pair.a.send(0, 53, new Uint8Array((1 << 20) + 1)), RangeError);
  pair.a.send(0, 53, new Uint8Array(100 * 1024));
  await pair.runUntil(() => pair.a.state === 'closed' && pair.b.state === 'closed', 10_000);
  assert.equal(errorA?.causeCode, ErrorCauseCode.PROTOCOL_VIOLATION);
  assert.equal(pair.receivedByB.length, 0);
});

test('a transport that throws ends the association with an error instead of crashing', async () => {
  const pair = new AssociationPair();
  await pair.connect();
  let error: SctpAssociationError | undefined;
  pair.a.handlers.onClose = (e) => {
    error = e;
  };
  pair.link.a.send = () => {
    throw new Error('DTLS closed');
  };
  pair.a.send(0, 53, Uint8Array.of(1));
  await settle();
  assert.equal(pair.a.state, 'closed');
  assert.match(error?.message ?? '', /DTLS closed/);
});

test('a peer that missed our ABORT is answered out of the blue (§8.4) and ends too', async () => {
  const pair = new AssociationPair({ delayMs: 10 });
  await pair.connect();
  let errorB: SctpAssociationError | undefined;
  pair.b.handlers.onClose = (error) => {
    errorB = error;
  };
  pair.link.up = false;
  pair.a.abort();
  pair.link.up = true;
  pair.b.send(0, 53, Uint8Array.of(1));
  await pair.runUntil(() => pair.b.state === 'closed', 5000);
  assert.match(errorB?.message ?? '', /aborted/);
});
