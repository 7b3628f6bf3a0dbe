import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes, randomUint32 } from './random.ts';

test('pooled random bytes: fresh arrays of the asked length, never repeated, across refills', () => {
  const seen = new Set<string>();
  // 2,000 draws of 12 bytes cross the 4 KiB pool several times.
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(12);
    assert.equal(bytes.length, 12);
    assert.equal(bytes.byteOffset, 0, 'a copy, not a view into the pool');
    seen.add(Buffer.from(bytes).toString('hex'));
  }
  assert.equal(seen.size, 2000);
  assert.equal(randomBytes(100_000).length, 100_000, 'beyond one Web Crypto call');
  assert.notEqual(Buffer.from(randomBytes(100_000).subarray(70_000)).toString('hex'), '00'.repeat(30_000));
  assert.equal(randomBytes(0).length, 0);
});

test('pooled random bytes look uniform: every bit set about half the time', () => {
  const ones = new Array<number>(32).fill(0);
  const draws = 20_000;
  for (let i = 0; i < draws; i++) {
    const value = randomUint32();
    assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32);
    for (let bit = 0; bit < 32; bit++) ones[bit]! += (value >>> bit) & 1;
  }
  // Binomial(20,000, 1/2): a bit outside 48-52% is more than 5.6 standard deviations off.
  for (const count of ones) assert.ok(Math.abs(count / draws - 0.5) < 0.02, `bit frequency ${count / draws}`);
});
