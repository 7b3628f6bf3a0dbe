import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SystemClock } from './clock.ts';

// Kept alive: with unreferenced timers nothing would hold the test process while it waits.
const timerClock = new SystemClock({ keepProcessAlive: true });

test('SystemClock fires timers in order and cancels cleared ones', async () => {
  const fired: string[] = [];
  const start = timerClock.now();
  await new Promise<void>((resolve) => {
    timerClock.setTimeout(() => fired.push('late'), 30);
    const cancelled = timerClock.setTimeout(() => fired.push('cancelled'), 10);
    timerClock.setTimeout(() => fired.push('early'), 5);
    timerClock.clearTimeout(cancelled);
    timerClock.clearTimeout(undefined);
    timerClock.setTimeout(resolve, 60);
  });
  assert.deepEqual(fired, ['early', 'late']);
  assert.ok(timerClock.now() - start >= 55);
});

test('SystemClock runs a 0 ms timer in this turn of the event loop, before a 1 ms timer, and can cancel it', async () => {
  // Unreferenced timers, as the protocol layers use them: the 0 ms one must still run without waiting for
  // other I/O (Node's own setTimeout(0) waits at least 1 ms).
  const clock = new SystemClock();
  const fired: string[] = [];
  await new Promise<void>((resolve) => {
    setTimeout(() => {
      fired.push('platform 1 ms');
      resolve();
    }, 1);
    const cancelled = clock.setTimeout(() => fired.push('cancelled'), 0);
    clock.setTimeout(() => fired.push('now'), 0);
    clock.setTimeout(() => fired.push('negative'), -5);
    clock.clearTimeout(cancelled);
  });
  assert.deepEqual(fired, ['now', 'negative', 'platform 1 ms']);
});
