/**
 * The long fuzz run: every target of test/dtls/fuzztargets.ts (random bytes and mutated OpenSSL captures
 * through the record, handshake, message, extension and certificate decoders and into live connections),
 * a million cases in total by default, split evenly. Any crash, non-typed error or round-trip mismatch
 * stops the run with fast-check's counterexample and seed.
 *
 *   node --import tsx bench/dtls/fuzz.ts [total-cases] [seed]
 */
import fc from 'fast-check';
import { fuzzTargets } from '../../test/dtls/fuzztargets.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const perTarget = Math.ceil(total / fuzzTargets.length);

console.log(`# node --import tsx bench/dtls/fuzz.ts ${total} ${seed}  (node ${process.version})`);
const start = performance.now();
for (const target of fuzzTargets) {
  const began = performance.now();
  fc.assert(fc.property(target.input, target.run), { seed, numRuns: perTarget });
  const seconds = (performance.now() - began) / 1000;
  console.log(
    `${target.name}: ${perTarget} cases in ${seconds.toFixed(1)} s (${(perTarget / seconds).toFixed(0)}/s), no failure`,
  );
}
console.log(
  `total: ${perTarget * fuzzTargets.length} cases in ${((performance.now() - start) / 1000).toFixed(1)} s`,
);
