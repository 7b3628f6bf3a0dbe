/**
 * The four measurements, each run in a fresh process by worker.ts. Every figure comes with the CPU time the
 * process spent on it (process.cpuUsage: all threads, so libwebrtc's and libdatachannel's native threads
 * count too), which stays comparable when other work shares the two cores and wall-clock figures do not.
 */
import { performance } from 'node:perf_hooks';
import { type ConnectedPair, connectPair } from './connect.ts';
import type { StackAdapter } from './stacks.ts';
import { LOW_WATER, smallMessages, type TrafficProgress, throughput } from './traffic.ts';

export const MEASUREMENTS = ['setup', 'throughput-16k', 'throughput-64k', 'small', 'memory'] as const;
export type MeasurementName = (typeof MEASUREMENTS)[number];

export interface MeasureOptions {
  pairs: number;
  mebibytes: number;
  seconds: number;
}

/** A cell's figures by key (see run.ts for the rows), or why the cell does not apply to this stack. */
export type Measured =
  | { status: 'ok'; values: Record<string, number>; notes: string[] }
  | { status: 'n/a'; reason: string };

/** worker.ts prints its WorkerReport on one stdout line after this prefix; run.ts reads it. */
export const RESULT_PREFIX = 'BENCH-RESULT ';

export type WorkerReport =
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; description?: string; reason: string }
  | { kind: 'measured'; description: string; measured: Measured; warnings: string[] };

/** What a measurement has done so far, so a timeout can say where it stopped. */
export interface Progress {
  stage: string;
  traffic?: TrafficProgress;
}

const SMALL_MESSAGE_BYTES = 100;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function percentile(sorted: number[], fraction: number): number {
  // Nearest rank: with 20 samples p90 is the 18th and p99 the 20th (the slowest), values really measured.
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}

function median(sorted: number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** global.gc exists when node runs with --expose-gc (run.ts passes it); without it memory is noisier. */
function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/**
 * From `new RTCPeerConnection` ×2 to `open` on both ends, `pairs` times in a row, each pair closed before the
 * next. One pair before them is not counted: it pays for loading code and warming the JIT.
 */
async function setup(stack: StackAdapter, options: MeasureOptions, progress: Progress): Promise<Measured> {
  progress.stage = 'warm-up pair';
  (await connectPair(stack)).close();
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < options.pairs; i++) {
    progress.stage = `pair ${i + 1} of ${options.pairs}`;
    const start = performance.now();
    const pair = await connectPair(stack);
    times.push(performance.now() - start);
    pair.close();
    await turn();
  }
  const cpuPerPair = cpuSeconds(cpu) / options.pairs;
  times.sort((a, b) => a - b);
  return {
    status: 'ok',
    values: {
      medianMs: median(times),
      p90Ms: percentile(times, 0.9),
      p99Ms: percentile(times, 0.99),
      cpuMsPerPair: cpuPerPair * 1000,
    },
    notes: [],
  };
}

/** Notes on how the sender was paced, when it was not by bufferedamountlow alone. */
function pacingNotes(
  stack: StackAdapter,
  result: { refillsWithoutEvent: number; bufferedAmountLowEvents: number },
): string[] {
  if (!stack.bufferedAmountLowEvent)
    return ['no bufferedamountlow: the sender polled bufferedAmount every 1 ms'];
  if (result.refillsWithoutEvent === 0) return [];
  return [
    `${result.refillsWithoutEvent} refills without bufferedamountlow (queue never above ${LOW_WATER / 1024} KiB), ` +
      `${result.bufferedAmountLowEvents} events`,
  ];
}

async function withPair<T>(
  stack: StackAdapter,
  progress: Progress,
  use: (pair: ConnectedPair) => Promise<T>,
) {
  progress.stage = 'connecting';
  const pair = await connectPair(stack);
  try {
    return await use(pair);
  } finally {
    pair.close();
  }
}

/** One traffic phase with its progress shown, and the CPU seconds the process spent on it. */
async function trafficPhase<T>(
  progress: Progress,
  stage: string,
  run: (traffic: TrafficProgress) => Promise<T>,
): Promise<{ result: T; cpuUsed: number }> {
  progress.stage = stage;
  const traffic: TrafficProgress = { sent: 0, received: 0, bufferedAmount: 0 };
  progress.traffic = traffic;
  const cpu = process.cpuUsage();
  const result = await run(traffic);
  return { result, cpuUsed: cpuSeconds(cpu) };
}

async function bulk(
  stack: StackAdapter,
  options: MeasureOptions,
  messageSize: number,
  progress: Progress,
): Promise<Measured> {
  return withPair(stack, progress, async (pair) => {
    const limit = stack.maxMessageSize(pair.offerer);
    if (limit !== undefined && limit < messageSize)
      return { status: 'n/a', reason: `max-message-size ${limit} B forbids ${messageSize} B messages` };
    const { result, cpuUsed } = await trafficPhase(
      progress,
      `sending ${options.mebibytes} MiB as ${messageSize / 1024} KiB messages`,
      (traffic) =>
        throughput(pair, options.mebibytes * 2 ** 20, messageSize, stack.bufferedAmountLowEvent, traffic),
    );
    return {
      status: 'ok',
      values: {
        megabytesPerSecond: result.megabytesPerSecond,
        seconds: result.seconds,
        cpuSeconds: cpuUsed,
        megabytesPerCpuSecond: result.bytesReceived / 1e6 / cpuUsed,
      },
      notes: pacingNotes(stack, result),
    };
  });
}

async function small(stack: StackAdapter, options: MeasureOptions, progress: Progress): Promise<Measured> {
  return withPair(stack, progress, async (pair) => {
    const { result, cpuUsed } = await trafficPhase(
      progress,
      `sending ${SMALL_MESSAGE_BYTES}-byte messages for ${options.seconds} s`,
      (traffic) =>
        smallMessages(pair, options.seconds, SMALL_MESSAGE_BYTES, stack.bufferedAmountLowEvent, traffic),
    );
    return {
      status: 'ok',
      values: {
        messagesPerSecond: result.messagesPerSecond,
        messages: result.messagesReceived,
        cpuSeconds: cpuUsed,
        cpuMicrosecondsPerMessage: (cpuUsed * 1e6) / result.messagesReceived,
      },
      notes: pacingNotes(stack, result),
    };
  });
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return covariance / variance;
}

const MEMORY_READINGS = 6;
/** The readings go from `pairs` to this many times `pairs` open pairs. */
export const MEMORY_SPAN = 5;

/**
 * Memory per connected pair: the slope of RSS (everything, native heaps included) and of the V8 heap over
 * the number of pairs held open, read after garbage collection (when global.gc is there) at six points from
 * `pairs` to `MEMORY_SPAN × pairs` open pairs and fitted by least squares. One-time costs (code loading,
 * native initialisation, the optimised code and caches a stack's first connections make) are below every
 * reading, so they are not spread over the pairs (divided by 20 pairs they added ~50 KiB of V8 code to each
 * of ours). run.ts gives this cell a young generation of fixed size: V8 otherwise grows and shrinks it by
 * 16 MiB at a time with the allocation rate, which put swings of ±200 KiB per pair into the slope of the JS
 * stacks. Nothing is closed before the last reading, so no pair reuses memory a closed one freed.
 */
async function memory(stack: StackAdapter, options: MeasureOptions, progress: Progress): Promise<Measured> {
  const pairs: ConnectedPair[] = [];
  const rss: [number, number][] = [];
  const heap: [number, number][] = [];
  let gc = false;
  /** CPU spent opening the pairs after the first reading (the readings' own GC left out). */
  let openingCpuSeconds = 0;
  const openUpTo = async (count: number) => {
    const cpu = process.cpuUsage();
    while (pairs.length < count) {
      progress.stage = `opening pair ${pairs.length + 1} of ${MEMORY_SPAN * options.pairs}`;
      pairs.push(await connectPair(stack));
    }
    if (rss.length > 0) openingCpuSeconds += cpuSeconds(cpu);
    // Let handshake leftovers (retransmission timers, pending reads) settle before reading.
    progress.stage = 'settling';
    await sleep(300);
    gc = collectGarbage();
    const usage = process.memoryUsage();
    rss.push([pairs.length, usage.rss / 1024]);
    heap.push([pairs.length, usage.heapUsed / 1024]);
  };
  try {
    await openUpTo(options.pairs);
    for (let reading = 1; reading < MEMORY_READINGS; reading++) {
      await openUpTo(
        options.pairs + Math.round((reading * (MEMORY_SPAN - 1) * options.pairs) / (MEMORY_READINGS - 1)),
      );
    }
    return {
      status: 'ok',
      values: { rssKiBPerPair: slope(rss), heapKiBPerPair: slope(heap), cpuSeconds: openingCpuSeconds },
      notes: gc ? [] : ['no global.gc (run without --expose-gc): memory figures include garbage'],
    };
  } finally {
    for (const pair of pairs) pair.close();
  }
}

export function measure(
  name: MeasurementName,
  stack: StackAdapter,
  options: MeasureOptions,
  progress: Progress,
): Promise<Measured> {
  switch (name) {
    case 'setup':
      return setup(stack, options, progress);
    case 'throughput-16k':
      return bulk(stack, options, 16 * 1024, progress);
    case 'throughput-64k':
      return bulk(stack, options, 64 * 1024, progress);
    case 'small':
      return small(stack, options, progress);
    case 'memory':
      return memory(stack, options, progress);
  }
}
