/**
 * One measurement of one stack, in a process of its own (run.ts starts one per cell): native libraries,
 * leftover sockets and memory of one cell cannot leak into the next, and a stack that hangs is ended by a
 * timer here or, failing that, by run.ts killing this process.
 *
 *   node --expose-gc --import tsx bench/datachannel/worker.ts --stack dyad --measure setup [--pairs 20] …
 *
 * Prints one line `BENCH-RESULT {json}` (a WorkerReport) on stdout; anything else the stacks print is noise.
 */
import { parseArgs } from 'node:util';
import {
  MEASUREMENTS,
  type MeasurementName,
  measure,
  type Progress,
  RESULT_PREFIX,
  type WorkerReport,
} from './measure.ts';
import { isStackName, loadStack } from './stacks.ts';

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    measure: { type: 'string' },
    pairs: { type: 'string', default: '20' },
    mib: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '60' },
  },
});

function report(result: WorkerReport): never {
  // stdout is a pipe, written synchronously on Linux, so the line is out before exit.
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  // Exit at once: closed native peers may keep threads or handles alive, and this process has done its job.
  process.exit(result.kind === 'failed' ? 1 : 0);
}

const stackName = values.stack ?? '';
const measurement = values.measure ?? '';
if (!isStackName(stackName)) throw new Error(`unknown --stack ${stackName}`);
if (!(MEASUREMENTS as readonly string[]).includes(measurement))
  throw new Error(`unknown --measure ${measurement}`);

const progress: Progress = { stage: 'loading' };
const warnings: string[] = [];
// Errors a stack throws from its own timers or rejects unhandled: noted, not fatal, because the measurement
// either still completes (then the figures stand, with the warning next to them) or runs into the timeout.
const warn = (what: string) => (error: unknown) => {
  if (warnings.length < 3) warnings.push(`${what} during ${progress.stage}: ${String(error).slice(0, 200)}`);
};
process.on('uncaughtException', warn('uncaught exception'));
process.on('unhandledRejection', warn('unhandled rejection'));

let stack: Awaited<ReturnType<typeof loadStack>>;
try {
  stack = await loadStack(stackName);
} catch (error) {
  report({ kind: 'skipped', reason: `failed to load: ${String(error).split('\n')[0]}` });
}

const timeoutSeconds = Number(values.timeout);
const timer = setTimeout(() => {
  const traffic = progress.traffic;
  const where = traffic
    ? ` (${traffic.sent} messages sent, ${traffic.received} received, bufferedAmount ${traffic.bufferedAmount})`
    : '';
  report({
    kind: 'failed',
    description: stack.description,
    reason: `timed out after ${timeoutSeconds} s at ${progress.stage}${where}`,
  });
}, timeoutSeconds * 1000);

try {
  const measured = await measure(
    measurement as MeasurementName,
    stack,
    { pairs: Number(values.pairs), mebibytes: Number(values.mib), seconds: Number(values.seconds) },
    progress,
  );
  clearTimeout(timer);
  report({ kind: 'measured', description: stack.description, measured, warnings });
} catch (error) {
  clearTimeout(timer);
  report({
    kind: 'failed',
    description: stack.description,
    reason: `${progress.stage}: ${String(error).split('\n')[0]}`,
  });
}
