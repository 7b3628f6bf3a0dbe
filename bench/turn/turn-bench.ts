// TURN benchmark: Binding requests/s, allocations/s and ChannelData relay (1200-byte packets/s, Mbit/s) with
// the server CPU time per operation, for Dyad's TURN server and coturn side by side in one run.
//   node --import tsx bench/turn/turn-bench.ts [--duration 3000] [--no-coturn]
// Bounded: each phase runs --duration ms (default 3000), 3 phases per server.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAllocations, benchBinding, benchRelay, credentials } from './load.ts';

const args = process.argv.slice(2);
const durationMs = Number(args[args.indexOf('--duration') + 1] || 3000) || 3000;
const withCoturn = !args.includes('--no-coturn');
const relaySize = 1200;

interface Target {
  readonly name: string;
  readonly port: number;
  /** Server CPU time so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

async function startDyad(): Promise<Target> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = fork(join(here, 'server-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout?.once('data', (line: Buffer) => resolve(JSON.parse(line.toString()).port));
  });
  return {
    name: 'dyad',
    port,
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once('message', (message: { cpu: NodeJS.CpuUsage }) =>
          resolve(message.cpu.user + message.cpu.system),
        );
        child.send('cpu');
      }),
    stop: () => stopChild(child, 'stop'),
  };
}

function stopChild(child: ChildProcess, message?: string): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (message) child.send(message);
    else child.kill('SIGTERM');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
function procCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startCoturn(program: string): Promise<Target> {
  const port = await freePort();
  const child = spawn(
    program,
    [
      '-n',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--no-tcp',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--min-port=55000',
      '--max-port=59999',
      '--lt-cred-mech',
      `--user=${credentials.username}:${credentials.password}`,
      `--realm=${credentials.realm}`,
      '--allow-loopback-peers',
      '--relay-threads=1',
      '--no-stdout-log',
      '--log-file=/dev/null',
    ],
    { stdio: 'ignore' },
  );
  // Never leave it running, even if the bench dies.
  process.once('exit', () => child.kill('SIGKILL'));
  // Ready when it answers a Binding.
  for (let i = 0; i < 50; i++) {
    if ((await benchBinding(port, 100, 1, 1)) > 0) break;
  }
  const pid = child.pid as number;
  return { name: 'coturn', port, cpuMicros: async () => procCpuMicros(pid), stop: () => stopChild(child) };
}

interface Figures {
  bindingsPerSecond: number;
  bindingCpuMicros: number;
  allocationsPerSecond: number;
  allocationCpuMicros: number;
  relayPacketsPerSecond: number;
  relayCpuMicros: number;
}

async function measure(target: Target): Promise<Figures> {
  const phase = async (run: () => Promise<number>) => {
    const cpuBefore = await target.cpuMicros();
    const started = performance.now();
    const operations = await run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await target.cpuMicros()) - cpuBefore;
    return { rate: operations / seconds, cpuPerOperation: operations > 0 ? cpu / operations : Number.NaN };
  };
  const binding = await phase(() => benchBinding(target.port, durationMs));
  const allocation = await phase(() => benchAllocations(target.port, durationMs));
  const relay = await phase(() => benchRelay(target.port, durationMs, 4, 64, relaySize));
  return {
    bindingsPerSecond: binding.rate,
    bindingCpuMicros: binding.cpuPerOperation,
    allocationsPerSecond: allocation.rate,
    allocationCpuMicros: allocation.cpuPerOperation,
    relayPacketsPerSecond: relay.rate,
    relayCpuMicros: relay.cpuPerOperation,
  };
}

function findCoturn(): string | undefined {
  for (const path of ['/usr/bin/turnserver', '/usr/local/bin/turnserver']) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

const results = new Map<string, Figures>();
const dyad = await startDyad();
try {
  results.set('dyad', await measure(dyad));
} finally {
  await dyad.stop();
}
const coturnPath = withCoturn ? findCoturn() : undefined;
if (withCoturn && !coturnPath) console.warn('coturn (turnserver) is not installed: measuring Dyad alone');
if (coturnPath) {
  const coturn = await startCoturn(coturnPath);
  try {
    results.set('coturn', await measure(coturn));
  } finally {
    await coturn.stop();
  }
}

const ours = results.get('dyad') as Figures;
const theirs = results.get('coturn');
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const rows: [string, (f: Figures) => number, number, 'rate' | 'cpu'][] = [
  ['Binding requests/s', (f) => f.bindingsPerSecond, 0, 'rate'],
  ['  server CPU µs per Binding', (f) => f.bindingCpuMicros, 1, 'cpu'],
  ['Allocations/s (allocate + delete)', (f) => f.allocationsPerSecond, 0, 'rate'],
  ['  server CPU µs per allocation', (f) => f.allocationCpuMicros, 1, 'cpu'],
  [`ChannelData relay packets/s (${relaySize} B)`, (f) => f.relayPacketsPerSecond, 0, 'rate'],
  ['  relay Mbit/s', (f) => (f.relayPacketsPerSecond * relaySize * 8) / 1e6, 1, 'rate'],
  ['  server CPU µs per relayed packet', (f) => f.relayCpuMicros, 1, 'cpu'],
];
console.log(`\n$ node --import tsx bench/turn/turn-bench.ts ${args.join(' ')}`.trimEnd());
console.log(
  `phase duration ${durationMs} ms; load generator: one Node process; coturn with --relay-threads=1\n`,
);
console.log(
  `${'figure'.padEnd(40)}${'dyad'.padStart(12)}${'coturn'.padStart(12)}${'dyad/coturn'.padStart(14)}  target`,
);
for (const [label, pick, digits, kind] of rows) {
  const a = pick(ours);
  const b = theirs ? pick(theirs) : Number.NaN;
  const ratio = a / b;
  const target = kind === 'rate' ? '>= 0.50' : '<= 2.00';
  const met = Number.isFinite(ratio)
    ? (kind === 'rate' ? ratio >= 0.5 : ratio <= 2)
      ? 'met'
      : 'MISSED'
    : '';
  console.log(
    `${label.padEnd(40)}${fmt(a, digits).padStart(12)}${fmt(b, digits).padStart(12)}${fmt(ratio, 2).padStart(14)}  ${target} ${met}`,
  );
}
