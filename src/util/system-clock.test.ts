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
