/**
 * What every fuzz door takes and hands back, and the one seeded generator they all draw from, so a run
 * repeats exactly for the same seed (`npm run fuzz -- --seed S`).
 */
import { seededRandom } from '../src/util/index.ts';

export interface DoorOptions {
  cases: number;
  seed: number;
  deadlineMs?: number;
  log?: (line: string) => void;
}

export interface DoorReport {
  door: string;
  cases: number;
  crashes: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  notes: string[];
}

/** Draws over mulberry32 (`seededRandom`): integers, picks, chances and bytes. Not for anything secret. */
export class FuzzRandom {
  readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** An independent generator seeded from this one (one per concurrent worker). */
  fork(): FuzzRandom {
    return new FuzzRandom(this.int(2 ** 32));
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined && items.length === 0) throw new RangeError('pick from an empty list');
    return item as T;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A length biased to the edges that break decoders: 0, 1, 2-3, small, and powers of two ± 1. */
  edgyLength(max: number): number {
    const roll = this.int(8);
    if (roll === 0) return 0;
    if (roll === 1) return this.range(1, 3);
    if (roll <= 4) return this.int(Math.min(max, 64) + 1);
    const power = 2 ** this.range(2, Math.max(2, Math.floor(Math.log2(Math.max(max, 4)))));
    return Math.max(0, Math.min(max, power + this.range(-1, 1)));
  }
}

/** A fresh 32-bit seed from the system generator, when the user gives none. */
export function randomSeed(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}
