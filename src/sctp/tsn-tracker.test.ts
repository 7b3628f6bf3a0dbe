import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReceivedTsnTracker } from './tsn-tracker.ts';

test('tracker merges out-of-order TSNs into gap blocks and closes holes', () => {
  const tracker = new ReceivedTsnTracker(100);
  for (const tsn of [100, 101, 104, 105, 107, 103]) tracker.add(tsn);
  assert.equal(tracker.cumulativeTsn, 101);
  assert.deepEqual(tracker.gapBlocks(16), [
    { start: 2, end: 4 },
    { start: 6, end: 6 },
  ]);
  assert.ok(tracker.has(104) && tracker.has(99) && !tracker.has(106));
  tracker.add(102);
  assert.equal(tracker.cumulativeTsn, 105);
  tracker.add(106);
  assert.equal(tracker.cumulativeTsn, 107);
  assert.equal(tracker.hasGaps, false);
});

test('tracker works across the 32-bit wrap and advances for FORWARD-TSN', () => {
  const tracker = new ReceivedTsnTracker(0xfffffffe);
  tracker.add(0xfffffffe);
  tracker.add(1);
  tracker.add(3);
  assert.deepEqual(tracker.gapBlocks(16), [
    { start: 3, end: 3 },
    { start: 5, end: 5 },
  ]);
  assert.equal(tracker.highestTsn, 3);
  tracker.advanceTo(0);
  assert.equal(tracker.cumulativeTsn, 1);
  assert.deepEqual(tracker.gapBlocks(16), [{ start: 2, end: 2 }]);
  tracker.advanceTo(5);
  assert.equal(tracker.cumulativeTsn, 5);
  assert.equal(tracker.hasGaps, false);
});
