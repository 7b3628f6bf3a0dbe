/** A short seeded fuzz run of every target in fuzztargets.ts (the long run is bench/dtls/fuzz.ts). */
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzTargets } from './fuzztargets.ts';

const SEED = 0x5eed_d715;

for (const target of fuzzTargets) {
  test(`fuzz: ${target.name} never crash and fail only with typed errors`, () => {
    const numRuns = target.name.includes('connection') ? 1000 : 5000;
    fc.assert(fc.property(target.input, target.run), { seed: SEED, numRuns });
  });
}
