/**
 * The boundary around everything a received datagram sets off. An ICE agent's sockets (host, relayed,
 * virtual) and the mDNS resolver's socket hand each datagram to a handler that runs under one: STUN, and
 * through the agent's `data` event DTLS, SCTP and the data channels, all synchronously. Whatever throws
 * there drops that datagram and is counted by its kind; the process never sees it. Promise continuations
 * a datagram starts (a STUN transaction's response, an mDNS answer) end in `settle`, so none of them can
 * become an unhandled rejection either.
 *
 * Reports are rate-limited and carry kinds and counts only: never the datagram, nor an error's message,
 * which may quote the input.
 */
import { type Clock, systemClock } from '../util/index.ts';

export interface DatagramErrorReport {
  /** The kind of the error just caught (its class name). */
  readonly kind: string;
  /** Errors caught so far, of every kind. */
  readonly total: number;
  /** Errors caught since the previous report, this one included. */
  readonly sinceLastReport: number;
  readonly counts: ReadonlyMap<string, number>;
}

export type DatagramErrorReporter = (report: DatagramErrorReport) => void;

export interface DatagramBoundaryOptions {
  readonly clock?: Clock;
  /** Where reports go; a process warning by default. */
  readonly report?: DatagramErrorReporter;
  /** At most one report per this many milliseconds (default 60 s). */
  readonly reportIntervalMs?: number;
}

/** Kinds are class names, a bounded set; anything past this many is counted as 'other'. */
const MAX_KINDS = 32;
const KIND_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function kindOf(error: unknown): string {
  if (!(error instanceof Error)) return 'non-error';
  const name = error.name !== 'Error' ? error.name : error.constructor?.name;
  return typeof name === 'string' && KIND_PATTERN.test(name) ? name : 'Error';
}

function warn(report: DatagramErrorReport): void {
  const kinds = [...report.counts].map(([kind, count]) => `${kind} ${count}`).join(', ');
  process.emitWarning(
    `dropped ${report.sinceLastReport} received datagram(s) whose processing threw (${report.total} in all: ${kinds})`,
    { code: 'DYAD_DATAGRAM_DROPPED' },
  );
}

export class DatagramBoundary {
  readonly #clock: Clock;
  readonly #report: DatagramErrorReporter;
  readonly #intervalMs: number;
  readonly #counts = new Map<string, number>();
  #total = 0;
  #sinceLastReport = 0;
  #lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(options: DatagramBoundaryOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#report = options.report ?? warn;
    this.#intervalMs = options.reportIntervalMs ?? 60_000;
  }

  /** Datagrams dropped because their processing threw. */
  get total(): number {
    return this.#total;
  }

  /** The same, by kind of error. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Records an error a datagram's processing threw (the datagram is dropped). Never throws. */
  caught(error: unknown): void {
    let kind = kindOf(error);
    if (!this.#counts.has(kind) && this.#counts.size >= MAX_KINDS) kind = 'other';
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
    this.#total++;
    this.#sinceLastReport++;
    const now = this.#clock.now();
    if (now - this.#lastReportAt < this.#intervalMs) return;
    this.#lastReportAt = now;
    const report = { kind, total: this.#total, sinceLastReport: this.#sinceLastReport, counts: this.#counts };
    this.#sinceLastReport = 0;
    try {
      this.#report(report);
    } catch {
      // A failing reporter must not undo the boundary.
    }
  }

  /** Ends a promise chain a datagram started: its rejection counts like a thrown error. */
  settle(promise: Promise<unknown>): void {
    promise.then(undefined, (error: unknown) => this.caught(error));
  }
}
