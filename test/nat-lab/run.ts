/**
 * The NAT lab by hand (root, iproute2 and nftables needed), see docs/nat-lab.md:
 *
 *   node --import tsx test/nat-lab/run.ts                        # the default matrix
 *   node --import tsx test/nat-lab/run.ts eim-nat symmetric-nat  # one row: sender site, receiver site
 *   node --import tsx test/nat-lab/run.ts eim-nat eim-nat --relay --keep
 *
 * `--relay` sets iceTransportPolicy 'relay'; `--keep` leaves the namespaces and dyad serve up until Enter
 * is pressed, to look around with `ip netns exec dyadlab-... <command>`.
 */
import { once } from 'node:events';
import { NatLab } from './lab.ts';
import { formatMatrix, labPrograms, matrixRows, runMatrix } from './matrix.ts';
import { type SiteKind, siteKinds } from './topology.ts';

const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const kinds = args.filter((arg) => !arg.startsWith('--')) as SiteKind[];
for (const kind of kinds) {
  if (!siteKinds.includes(kind)) throw new Error(`unknown site kind ${kind}; one of ${siteKinds.join(', ')}`);
}
if (kinds.length !== 0 && kinds.length !== 2) throw new Error('give two site kinds, or none for the matrix');

const programs = labPrograms();
if (typeof programs === 'string') throw new Error(programs);
const lab = new NatLab(programs);
const closing = () => void lab.close().then(() => process.exit(130));
process.once('SIGINT', closing);
process.once('SIGTERM', closing);
try {
  const started = performance.now();
  const rows =
    kinds.length === 2
      ? [
          {
            a: kinds[0] as SiteKind,
            b: kinds[1] as SiteKind,
            policy: flags.has('--relay') ? 'relay' : 'all',
          } as const,
        ]
      : matrixRows();
  const results = await runMatrix(lab, rows);
  console.log(formatMatrix(results));
  for (const result of results) {
    for (const report of [result.sender, result.receiver])
      if (report.error) console.log(`${result.a} × ${result.b} ${report.side}: ${report.error}`);
    if (flags.has('--verbose')) {
      for (const report of [result.sender, result.receiver])
        for (const pair of report.pairs ?? [])
          console.log(`  ${result.a} × ${result.b} ${report.side}: ${pair}`);
    }
  }
  console.log(`lab run: ${Math.round((performance.now() - started) / 1000)} s`);
  if (flags.has('--keep')) {
    console.log(`namespaces: ${lab.set.name('*')}; press Enter to tear the lab down`);
    process.stdin.resume();
    await once(process.stdin, 'data');
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  const failures = await lab.close();
  for (const failure of failures) console.error(failure);
  process.exit();
}
