/**
 * `npm run fuzz -- [--door signaling|turn-udp|turn-tcp|peer|all] [--cases N] [--seed S] [--seconds T]`
 * (`npm run fuzz -- --write-corpus` rewrites the seed corpus under fuzz/corpus/.)
 * Fuzzes a real `dyad serve` child through the doors an attacker uses (and a live RTCPeerConnection
 * through its ICE port), with a fixed seed printed so any run can be repeated. Exits 1 on any crash.
 */
import { type CampaignReport, type DoorName, doorNames, formatReport, runCampaignDoor } from './campaign.ts';
import { writeSeedCorpus } from './corpus.ts';
import { randomSeed } from './door.ts';
import { stopAllFuzzServers } from './server.ts';

interface Args {
  doors: DoorName[];
  cases: number;
  seed: number;
  seconds?: number;
  writeCorpus: boolean;
}

function parseArgs(argv: string[]): Args {
  let door = 'all';
  let cases = 1_000_000;
  let seed = randomSeed();
  let seconds: number | undefined;
  let writeCorpus = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    const number = (name: string) => {
      const parsed = Number(value().replace(/[_,]/g, ''));
      if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} takes a number`);
      return parsed;
    };
    if (flag === '--door') door = value();
    else if (flag === '--cases') cases = Math.floor(number('--cases'));
    else if (flag === '--seed') seed = Math.floor(number('--seed')) >>> 0;
    else if (flag === '--seconds') seconds = number('--seconds');
    else if (flag === '--write-corpus') writeCorpus = true;
    else throw new Error(`unknown flag ${flag}; flags: --door, --cases, --seed, --seconds, --write-corpus`);
  }
  if (door !== 'all' && !doorNames.includes(door as DoorName))
    throw new Error(`--door takes ${doorNames.join('|')}|all, got ${door}`);
  return { doors: door === 'all' ? [...doorNames] : [door as DoorName], cases, seed, seconds, writeCorpus };
}

const args = parseArgs(process.argv.slice(2));
// Interrupted (Ctrl-C, a CI timeout): stop the server children rather than leave them running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the servers`);
    void stopAllFuzzServers().finally(() => process.exit(130));
  });
}
if (args.writeCorpus) {
  console.log(`wrote ${writeSeedCorpus()} seed files under fuzz/corpus/`);
  process.exit(0);
}
const command = `npm run fuzz -- --door ${args.doors.length > 1 ? 'all' : args.doors[0]} --cases ${args.cases} --seed ${args.seed}${args.seconds === undefined ? '' : ` --seconds ${args.seconds}`}`;
console.log(`${command}\n(seed ${args.seed}; Node ${process.version})`);
const reports: CampaignReport[] = [];
for (const door of args.doors) {
  console.log(`door ${door}:`);
  const deadlineMs = args.seconds === undefined ? undefined : Date.now() + args.seconds * 1000;
  reports.push(
    await runCampaignDoor(door, { cases: args.cases, seed: args.seed, deadlineMs, log: console.log }),
  );
}
console.log(`\n${command}`);
for (const report of reports) console.log(formatReport(report, args.seed));
const crashes = reports.reduce((sum, report) => sum + report.crashes, 0);
console.log(crashes === 0 ? 'no crashes' : `${crashes} crashes`);
process.exitCode = crashes === 0 ? 0 : 1;
