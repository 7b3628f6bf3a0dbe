/**
 * Regression tests for what the peer door (fuzz/doors/peer.ts) and its review found: requests and
 * timers that must not end or wedge an association, and work scheduled off a received packet that
 * must not reach the process when it fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SctpAssociationError } from './errors.ts';
import type { StreamResetDirection } from './stream-reset.ts';
import { AssociationPair, settle } from './test-pair.ts';

test('a reset of more streams than one packet can list goes out in several requests (RFC 6525 §4.1)', async () => {
  const pair = new AssociationPair({ delayMs: 5 });
  await pair.connect();
  const streams = Array.from({ length: 1500 }, (_, i) => i);
  const outgoing: number[] = [];
  const incoming: number[] = [];
  const record = (target: number[]) => (ids: number[], direction: StreamResetDirection, ok: boolean) => {
    assert.ok(ok, `reset of ${ids.length} streams (${direction}) failed`);
    if (direction === 'outgoing') target.push(...ids);
  };
  pair.a.handlers.onStreamsReset = record(outgoing);
  pair.b.handlers.onStreamsReset = (ids, direction) => {
    if (direction === 'incoming') incoming.push(...ids);
  };
  // Before: the one request for 1,500 streams never fitted a packet, was never sent, and its
  // retransmission timer ended the association as if the peer were unreachable.
  pair.a.resetStreams(streams);
  await pair.runUntil(() => outgoing.length === streams.length, 30_000);
  assert.deepEqual(
    [...incoming].sort((x, y) => x - y),
    streams,
  );
  assert.equal(pair.a.state, 'established');
  assert.equal(pair.b.state, 'established');
});

test('a flush that throws in its own microtask ends the association instead of reaching the process', async () => {
  const pair = new AssociationPair();
  await pair.connect();
  let closedWith: SctpAssociationError | undefined;
  pair.a.handlers.onClose = (error) => {
    closedWith = error;
  };
  // A buffered-amount handler that throws runs inside the flush a send() schedules in a microtask;
  // before, that exception went to the process as an uncaughtException.
  pair.a.handlers.onBufferedAmount = () => {
    throw new TypeError('handler failed');
  };
  const uncaught: unknown[] = [];
  const listener = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', listener);
  try {
    pair.a.send(1, 53, Uint8Array.of(1));
    await settle();
  } finally {
    process.off('uncaughtException', listener);
  }
  assert.deepEqual(uncaught, []);
  assert.equal(pair.a.state, 'closed');
  assert.match(String(closedWith?.message), /internal error in the data path \(TypeError\)/);
});
