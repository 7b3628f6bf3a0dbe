// Signaling load generator: Dyad and PeerServer (npm `peer`) side by side in one run.
//   node --import tsx bench/signaling/run.ts [--peers 19800] [--pairs 100] [--rate 10000] [--seconds 5] [--rounds 1]
import { Command } from 'commander';
import { holdPeers, relayMessages } from './load.ts';
import { type SignalingTarget, startDyad, startDyadWithRedis, startPeerServer } from './targets.ts';

const flags = new Command('bench-signaling')
  .option(
    '--peers <n>',
    'concurrent peers to hold (each process may open at most ~20,000 files here)',
    '19800',
  )
  .option('--pairs <n>', 'pairs exchanging messages', '100')
  .option('--rate <n>', 'messages per second in the fixed-rate phase', '10000')
  .option('--seconds <n>', 'length of each relay phase', '5')
  .option('--payload <bytes>', 'size of a relayed message (an SDP is 2-6 KB)', '3000')
  .option('--rounds <n>', 'repeat every target this many times, interleaved; the table shows medians', '1')
  .option(
    '--targets <list>',
    'servers to compare: dyad, peerjs, dyad-redis (3 processes + Redis)',
    'dyad,peerjs,dyad-redis',
  )
  .parse()
  .opts();

const peers = Number(flags.peers);
const relayOptions = {
  pairs: Number(flags.pairs),
  seconds: Number(flags.seconds),
  payloadBytes: Number(flags.payload),
};
const starters: Record<string, () => Promise<SignalingTarget>> = {
  dyad: startDyad,
  peerjs: startPeerServer,
  'dyad-redis': startDyadWithRedis,
};

type Row = Record<string, string>;
/** Each target's figures, one entry per round. */
const rounds = Number(flags.rounds);
const measured = new Map<string, Row[]>();
for (let round = 0; round < rounds; round++) {
  for (const name of String(flags.targets).split(',')) {
    const start = starters[name];
    if (!start) throw new Error(`unknown target ${name}`);
    const target = await start();
    try {
      const hold = await holdPeers(target, peers, 5_000);
      const fixed = await relayMessages(target, { ...relayOptions, rate: Number(flags.rate) });
      const max = await relayMessages(target, relayOptions);
      const row: Row = {
        server: name,
        'peers held': String(hold.peers),
        'connect storm s': (hold.stormMs / 1000).toFixed(2),
        'RSS/peer KB': (hold.rssPerPeerBytes / 1024).toFixed(2),
        [`@${flags.rate}/s msgs/s`]: fixed.messagesPerSecond.toFixed(0),
        'p50 ms': fixed.p50Ms.toFixed(3),
        'p99 ms': fixed.p99Ms.toFixed(3),
        'server p99 ms ≤': fixed.serverP99Ms === undefined ? '-' : String(fixed.serverP99Ms),
        'CPU µs/msg @rate': fixed.serverCpuUsPerMessage.toFixed(1),
        'max msgs/s': max.messagesPerSecond.toFixed(0),
        'CPU µs/msg @max': max.serverCpuUsPerMessage.toFixed(1),
      };
      measured.set(name, [...(measured.get(name) ?? []), row]);
      if (rounds > 1) console.log(`round ${round + 1}: ${JSON.stringify(row)}`);
    } finally {
      await target.stop();
    }
  }
}

/** The median of each numeric column over the rounds ('-' stays '-'). */
function medianRow(all: Row[]): Row {
  const row: Row = { ...all[0]! };
  for (const key of Object.keys(row)) {
    const values = all.map((r) => Number(r[key])).filter((v) => Number.isFinite(v));
    if (key === 'server' || values.length !== all.length) continue;
    values.sort((a, b) => a - b);
    const middle = values.length >> 1;
    const median = values.length % 2 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
    const decimals = row[key]!.split('.')[1]?.length ?? 0;
    row[key] = median.toFixed(decimals);
  }
  return row;
}
const rows = [...measured.values()].map(medianRow);

console.log(`\n$ node --import tsx bench/signaling/run.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
console.log(
  `payload ${relayOptions.payloadBytes} B, ${relayOptions.pairs} pairs, ${relayOptions.seconds} s per phase` +
    (rounds > 1 ? `; medians of ${rounds} interleaved rounds` : ''),
);
console.table(rows);
const dyad = rows.find((row) => row.server === 'dyad');
for (const other of rows.filter((row) => row !== dyad)) {
  if (!dyad) break;
  for (const key of ['CPU µs/msg @rate', 'CPU µs/msg @max', 'RSS/peer KB']) {
    console.log(`${key}: ${other.server}/dyad = ${(Number(other[key]) / Number(dyad[key])).toFixed(2)}`);
  }
}
