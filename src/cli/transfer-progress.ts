/**
 * What `dyad send` and `dyad receive` show while files move: in a terminal, one line redrawn in place
 * (the current file, the total, speed, time left); into a pipe or a log, a plain line every few seconds;
 * with --json, one JSON object per line for scripts.
 */
import { formatDuration, formatSize } from './transfer-format.ts';

export type OutputMode = 'tty' | 'plain' | 'json';

export interface FileProgress {
  name: string;
  size: number;
  /** Bytes stored (receiver) or acknowledged as stored (sender). */
  done: number;
  state: string;
}

const TTY_INTERVAL_MS = 200;
const PLAIN_INTERVAL_MS = 2_000;
const JSON_INTERVAL_MS = 1_000;
/** Speed is averaged over this window, so a stall shows within seconds yet one slow write does not. */
const SPEED_WINDOW_MS = 5_000;

export class TransferOutput {
  readonly mode: OutputMode;
  readonly #human: NodeJS.WriteStream;
  readonly #events: NodeJS.WritableStream;
  #lineShown = false;
  #timer: NodeJS.Timeout | undefined;
  #samples: { at: number; bytes: number }[] = [];
  #lastPlain = '';
  #poll: (() => FileProgress[]) | undefined;

  /** `events` carries --json lines (stdout, unless stdout carries a file). */
  constructor(json: boolean, human: NodeJS.WriteStream, events: NodeJS.WritableStream) {
    this.mode = json ? 'json' : human.isTTY ? 'tty' : 'plain';
    this.#human = human;
    this.#events = events;
  }

  /** A sentence for the person (nothing in --json mode, where `event` says it). */
  say(text: string): void {
    if (this.mode === 'json') return;
    this.#clearLine();
    this.#human.write(`${text}\n`);
  }

  /** A machine-readable event (--json only). */
  event(type: string, fields: Record<string, unknown> = {}): void {
    if (this.mode !== 'json') return;
    this.#events.write(`${JSON.stringify({ event: type, time: new Date().toISOString(), ...fields })}\n`);
  }

  /** Starts drawing the progress of `poll()`'s files until stop(). */
  start(poll: () => FileProgress[]): void {
    this.#poll = poll;
    this.#samples = [];
    clearInterval(this.#timer);
    const interval =
      this.mode === 'tty' ? TTY_INTERVAL_MS : this.mode === 'json' ? JSON_INTERVAL_MS : PLAIN_INTERVAL_MS;
    this.#timer = setInterval(() => this.draw(), interval);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#poll) this.draw();
    this.#poll = undefined;
    this.#clearLine();
  }

  draw(): void {
    const files = this.#poll?.();
    if (!files) return;
    const now = Date.now();
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const done = files.reduce((sum, f) => sum + Math.min(f.done, f.size), 0);
    this.#samples.push({ at: now, bytes: done });
    while (this.#samples.length > 2 && now - this.#samples[1]!.at > SPEED_WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0]!;
    const speed = now > first.at ? ((done - first.bytes) * 1000) / (now - first.at) : 0;
    const secondsLeft = speed > 0 ? (total - done) / speed : undefined;
    const current = files.find((f) => f.done < f.size && f.state !== 'declined') ?? files.at(-1);
    const finished = files.filter((f) => f.state === 'verified').length;
    if (this.mode === 'json') {
      this.event('progress', {
        file: current?.name,
        fileBytes: current?.done,
        fileSize: current?.size,
        bytes: done,
        totalBytes: total,
        filesDone: finished,
        files: files.length,
        bytesPerSecond: Math.round(speed),
        secondsLeft: secondsLeft === undefined ? null : Math.round(secondsLeft),
      });
      return;
    }
    const percent = total ? Math.floor((done / total) * 100) : 100;
    const rate = speed > 0 && done < total ? ` · ${formatSize(speed)}/s` : '';
    const left = secondsLeft === undefined || done >= total ? '' : `, ${formatDuration(secondsLeft)} left`;
    const filePart = current
      ? `${current.name} ${formatSize(current.done)}/${formatSize(current.size)}`
      : 'waiting';
    const line =
      `${filePart} · total ${formatSize(done)}/${formatSize(total)} (${percent} %, ` +
      `${finished}/${files.length} files)${rate}${left}`;
    if (this.mode === 'tty') {
      const width = this.#human.columns ?? 100;
      this.#human.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
      this.#lineShown = true;
    } else if (line !== this.#lastPlain) {
      this.#lastPlain = line;
      this.#human.write(`${line}\n`);
    }
  }

  #clearLine(): void {
    if (!this.#lineShown) return;
    this.#human.write('\r\x1b[2K');
    this.#lineShown = false;
  }
}
