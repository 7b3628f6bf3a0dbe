/**
 * The printed report: one row per figure, one column per stack, and numbered notes under the table for every
 * cell that failed, does not apply, or carries a caveat (so the columns stay narrow enough to read).
 */
import { MEMORY_SPAN, type MeasurementName, type WorkerReport } from './measure.ts';
import type { StackName } from './stacks.ts';

interface Row {
  label: string;
  measurement: MeasurementName;
  key: string;
  decimals: number;
}

function rows(pairs: number): Row[] {
  const row = (label: string, measurement: MeasurementName, key: string, decimals: number) => ({
    label,
    measurement,
    key,
    decimals,
  });
  return [
    row(`setup median, ms (${pairs} pairs)`, 'setup', 'medianMs', 1),
    row('setup p90, ms', 'setup', 'p90Ms', 1),
    row('setup p99, ms', 'setup', 'p99Ms', 1),
    row('setup CPU per pair, ms', 'setup', 'cpuMsPerPair', 1),
    row('16 KiB msgs: MB/s', 'throughput-16k', 'megabytesPerSecond', 1),
    row('16 KiB msgs: CPU s', 'throughput-16k', 'cpuSeconds', 2),
    row('16 KiB msgs: MB per CPU-s', 'throughput-16k', 'megabytesPerCpuSecond', 1),
    row('64 KiB msgs: MB/s', 'throughput-64k', 'megabytesPerSecond', 1),
    row('64 KiB msgs: CPU s', 'throughput-64k', 'cpuSeconds', 2),
    row('64 KiB msgs: MB per CPU-s', 'throughput-64k', 'megabytesPerCpuSecond', 1),
    row('100 B msgs: msgs/s', 'small', 'messagesPerSecond', 0),
    row('100 B msgs: CPU s', 'small', 'cpuSeconds', 2),
    row('100 B msgs: CPU µs per msg', 'small', 'cpuMicrosecondsPerMessage', 1),
    row(
      `memory: RSS per pair, KiB (slope, ${pairs}→${MEMORY_SPAN * pairs} open)`,
      'memory',
      'rssKiBPerPair',
      0,
    ),
    row('memory: V8 heap per pair, KiB', 'memory', 'heapKiBPerPair', 0),
    row(`memory: CPU s to open pairs ${pairs + 1}-${MEMORY_SPAN * pairs}`, 'memory', 'cpuSeconds', 2),
  ];
}

export interface ReportInput {
  command: string;
  header: string[];
  stacks: StackName[];
  cells: Map<string, { report: WorkerReport; stderr: string[] }>;
  skipped: Map<StackName, string>;
  pairs: number;
}

export function formatReport(input: ReportInput): string {
  const notes: string[] = [];
  const noteNumbers = new Map<string, number>();
  /** One number per distinct text, so a reason shared by a cell's rows is written once. */
  const noteFor = (text: string) => {
    let number = noteNumbers.get(text);
    if (number === undefined) {
      notes.push(text);
      number = notes.length;
      noteNumbers.set(text, number);
    }
    return `[${number}]`;
  };

  const cellText = (stack: StackName, row: Row): string => {
    const skippedReason = input.skipped.get(stack);
    if (skippedReason !== undefined) return `skipped ${noteFor(`${stack}: skipped, ${skippedReason}`)}`;
    const cell = input.cells.get(`${stack}/${row.measurement}`);
    if (!cell) return '-';
    const { report } = cell;
    const where = `${stack} ${row.measurement}`;
    if (report.kind === 'failed') return `failed ${noteFor(`${where}: ${report.reason}`)}`;
    if (report.kind === 'skipped') return `skipped ${noteFor(`${stack}: skipped, ${report.reason}`)}`;
    const { measured } = report;
    if (measured.status === 'n/a') return `n/a ${noteFor(`${where}: ${measured.reason}`)}`;
    const value = measured.values[row.key];
    const text = value === undefined || !Number.isFinite(value) ? '?' : value.toFixed(row.decimals);
    const caveats = [...measured.notes, ...report.warnings];
    return caveats.length === 0 ? text : `${text} ${noteFor(`${where}: ${caveats.join('; ')}`)}`;
  };

  const headings = ['', ...input.stacks];
  const body = rows(input.pairs).map((row) => [
    row.label,
    ...input.stacks.map((stack) => cellText(stack, row)),
  ]);
  const widths = headings.map((heading, column) =>
    Math.max(heading.length, ...body.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, column) => (column === 0 ? text.padEnd(widths[0]!) : text.padStart(widths[column]!)))
      .join('  ');

  const out = [`$ ${input.command}`, ...input.header, ''];
  out.push(line(headings), widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of body) out.push(line(cells));
  out.push('');
  out.push(
    'MB = 10^6 bytes, from the first send() to the last byte received; sender keeps ~1 MiB queued ' +
      '(bufferedAmountLowThreshold 512 KiB, refilled on bufferedamountlow).',
  );
  out.push(
    'CPU = process.cpuUsage() of the worker (user + system, all threads, native ones included) during the ' +
      'measured part; it stays comparable when other work shares the cores.',
  );
  out.push(
    'Memory = slope of six readings after GC over the number of open pairs; the young generation is fixed ' +
      'at 2 × 16 MiB in that cell (--min/--max-semi-space-size) for every stack.',
  );
  notes.forEach((text, i) => {
    out.push(`[${i + 1}] ${text}`);
  });

  const logs: string[] = [];
  for (const [key, cell] of input.cells) {
    if (cell.stderr.length > 0) logs.push(`${key}:`, ...cell.stderr.map((text) => `  ${text.slice(0, 200)}`));
  }
  if (logs.length > 0) out.push('', 'stderr of the workers (last lines each):', ...logs);
  return out.join('\n');
}
