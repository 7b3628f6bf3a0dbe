import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayWindow } from './replay.ts';

test('the replay window accepts new numbers once and rejects those left of the window', () => {
  const window = new ReplayWindow(64);
  for (const seq of [0, 1, 2, 5]) {
    assert.ok(window.accepts(seq));
    window.mark(seq);
    assert.ok(!window.accepts(seq), `duplicate ${seq}`);
  }
  assert.ok(window.accepts(3), 'a gap below the top is still acceptable');
  window.mark(100);
  assert.ok(!window.accepts(36), '100 - 36 = 64 is outside a 64-wide window');
  assert.ok(window.accepts(37));
  assert.ok(window.accepts(99));
  window.mark(99);
  assert.ok(!window.accepts(99));
  // Moving far ahead forgets everything and never accepts a replay of the new top.
  window.mark(2 ** 48 - 2);
  assert.ok(!window.accepts(2 ** 48 - 2));
  assert.ok(window.accepts(2 ** 48 - 3));
  assert.ok(!window.accepts(100));
});

test('checking does not move the window; only marking authenticated records does', () => {
  const window = new ReplayWindow(32);
  window.mark(10);
  assert.ok(window.accepts(1_000_000));
  assert.ok(window.accepts(9), 'a forged far-ahead number that was only checked does not push 9 out');
});
