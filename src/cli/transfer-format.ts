/** Sizes and durations as a person reads them in `dyad send` and `dyad receive`, and their exit codes. */
import { UserError } from './errors.ts';

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `42 s`, `3 min 05 s`, `2 h 10 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Exit codes of `dyad send` and `dyad receive` (listed in their --help). */
export const EXIT = {
  ok: 0,
  failed: 1,
  declined: 3,
  proofFailed: 4,
  corrupt: 5,
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0    every file arrived and was verified (SHA-256)
  1    an error: connection, storage, protocol, or bad arguments
  3    the receiver declined the files
  4    the pairing proof failed: a wrong code, or someone between the two sides
  5    a file arrived damaged (SHA-256 mismatch) and was discarded
  130  stopped with Ctrl-C`;

/** An error that ends `dyad send`/`dyad receive` with a sentence and one of EXIT's codes. */
export class TransferExit extends UserError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
