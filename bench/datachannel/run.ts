/**
 * Data-channel benchmark: our RTCPeerConnection side by side with werift, libwebrtc (@roamhq/wrtc) and
 * libdatachannel (node-datachannel's polyfill), two peers of one stack in one process on loopback UDP.
 *
 *   node --import tsx bench/datachannel/run.ts [--stacks dyad,werift,libwebrtc,libdatachannel]
 *     [--mib 64] [--pairs 20] [--seconds 3] [--timeout 60]
 *
 * Each cell (one stack, one measurement) runs in a fresh worker process, one at a time: native libraries
 * and leftover memory stay out of the other cells, and a stack that hangs fails its cell only. Cells go
 * measurement by measurement across the stacks, so background load on a shared machine spreads over all
 * stacks rather than landing on one. Workers run with --expose-gc so memory is read after collection.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  MEASUREMENTS,
  MEMORY_SPAN,
  type MeasurementName,
  RESULT_PREFIX,
  type WorkerReport,
} from './measure.ts';
import { isStackName, STACK_NAMES, type StackName } from './stacks.ts';
import { formatReport } from './table.ts';

const { values } = parseArgs({
  options: {
    stacks: { type: 'string', default: STACK_NAMES.join(',') },
    mib: { type: 'string', default: '64' },
    pairs: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '60' },
  },
});

const stacks = values.stacks.split(',').map((name) => name.trim());
for (const name of stacks) {
  if (!isStackName(name)) throw new Error(`unknown stack ${name}: expected some of ${STACK_NAMES.join(',')}`);
}
for (const key of ['mib', 'pairs', 'seconds', 'timeout'] as const) {
  if (!(Number(values[key]) > 0)) throw new Error(`--${key} must be a positive number`);
}
const timeoutSeconds = Number(values.timeout);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface CellRun {
  report: WorkerReport;
  wallSeconds: number;
  /** The tail of what the worker wrote on stderr (stacks' own logging, Node warnings). */
  stderr: string[];
}

/**
 * One worker; killed (by its own PID, through the ChildProcess) if it outlives its own timeout by 30 s,
 * which only happens when a native library blocks the event loop or exit.
 */
function runCell(stack: StackName, measurement: MeasurementName): Promise<CellRun> {
  const args = [
    '--expose-gc',
    // See measure.ts (memory): a young generation of fixed size keeps V8's resizing out of the slope.
    ...(measurement === 'memory' ? ['--min-semi-space-size=16', '--max-semi-space-size=16'] : []),
    '--import',
    'tsx',
    workerPath,
    ...['--stack', stack, '--measure', measurement],
    ...[
      '--mib',
      values.mib,
      '--pairs',
      values.pairs,
      '--seconds',
      values.seconds,
      '--timeout',
      values.timeout,
    ],
  ];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // Only the tail is shown; keep memory bounded if a stack logs a lot.
      stderr = (stderr + chunk).slice(-20_000);
    });
    let killed = false;
    const killer = setTimeout(
      () => {
        killed = true;
        child.kill('SIGKILL');
      },
      (timeoutSeconds + 30) * 1000,
    );
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
      const stderrLines = stderr.split('\n').filter((text) => text.trim() !== '');
      let report: WorkerReport;
      if (line) report = JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerReport;
      else {
        const why = killed
          ? `killed after ${timeoutSeconds + 30} s`
          : `exited with ${signal ?? `code ${code}`}`;
        report = { kind: 'failed', reason: `worker ${why} without a result: ${stderrLines.at(-1) ?? ''}` };
      }
      resolve({ report, wallSeconds: (performance.now() - started) / 1000, stderr: stderrLines.slice(-5) });
    });
  });
}

const startedAt = new Date();
const loadAtStart = os.loadavg();
const runStarted = performance.now();
const cells = new Map<string, CellRun>();
const skipped = new Map<StackName, string>();
for (const measurement of MEASUREMENTS) {
  for (const stack of stacks as StackName[]) {
    if (skipped.has(stack)) continue;
    const cell = await runCell(stack, measurement);
    if (cell.report.kind === 'skipped') skipped.set(stack, cell.report.reason);
    cells.set(`${stack}/${measurement}`, cell);
    const outcome = cell.report.kind === 'measured' ? cell.report.measured.status : cell.report.kind;
    console.error(
      `${stack.padEnd(14)} ${measurement.padEnd(14)} ${outcome.padEnd(8)} ${cell.wallSeconds.toFixed(1)} s`,
    );
  }
}

const command = ['node --import tsx bench/datachannel/run.ts', ...process.argv.slice(2)].join(' ');
console.log(
  formatReport({
    command,
    header: [
      `date: ${startedAt.toISOString()}   node ${process.version}   ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
      `load average at start: ${loadAtStart.map((load) => load.toFixed(2)).join(' ')}   run took ${((performance.now() - runStarted) / 1000).toFixed(0)} s`,
      `${values.mib} MiB per throughput run, ${values.pairs} pairs for setup, memory read from ${values.pairs} to ${MEMORY_SPAN * Number(values.pairs)} open pairs, ${values.seconds} s of 100-byte messages, ${timeoutSeconds} s timeout per cell`,
    ],
    stacks: stacks as StackName[],
    cells,
    skipped,
    pairs: Number(values.pairs),
  }),
);
