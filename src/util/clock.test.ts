import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from './clock.ts';

test('VirtualClock fires timers in due order and only when advanced past them', () => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 20);
  clock.setTimeout(() => fired.push('a'), 10);
  const cancelled = clock.setTimeout(() => fired.push('never'), 15);
  clock.clearTimeout(cancelled);
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(11);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.now(), 20);
});

test('VirtualClock fires timers scheduled by callbacks within the same advance', () => {
  const clock = new VirtualClock();
  const times: number[] = [];
  const tick = () => {
    times.push(clock.now());
    if (times.length < 3) clock.setTimeout(tick, 100);
  };
  clock.setTimeout(tick, 100);
  clock.advance(1000);
  assert.deepEqual(times, [100, 200, 300]);
  assert.equal(clock.pendingTimers, 0);
});
