import type { GapAckBlock } from './chunks/types.ts';
import { tsnAdd, tsnDistance } from './tsn.ts';

/**
 * The receiver's view of which TSNs arrived (RFC 9260 §6.2): the cumulative TSN and the ranges received
 * above it, from which SACK gap ack blocks are built. Ranges are kept sorted and merged, so the cost is
 * per hole, not per TSN.
 */
export class ReceivedTsnTracker {
  #cumulative: number;
  /** Disjoint, non-adjacent [start, end] TSN ranges above cumulative + 1, ascending. */
  #ranges: Array<{ start: number; end: number }> = [];

  constructor(peerInitialTsn: number) {
    this.#cumulative = tsnAdd(peerInitialTsn, -1);
  }

  get cumulativeTsn(): number {
    return this.#cumulative;
  }

  get hasGaps(): boolean {
    return this.#ranges.length > 0;
  }

  /** The highest TSN received so far. */
  get highestTsn(): number {
    return this.#ranges.at(-1)?.end ?? this.#cumulative;
  }

  /** Whether this TSN was received already (at or below the cumulative TSN, or inside a range). */
  has(tsn: number): boolean {
    if (tsnDistance(tsn, this.#cumulative) <= 0) return true;
    return this.#find(tsn) >= 0;
  }

  /** Records a new TSN (the caller checked `has` first). */
  add(tsn: number): void {
    const ranges = this.#ranges;
    if (tsn === tsnAdd(this.#cumulative, 1)) {
      this.#cumulative = tsn;
      const first = ranges[0];
      if (first && first.start === tsnAdd(tsn, 1)) {
        this.#cumulative = first.end;
        ranges.shift();
      }
      return;
    }
    // Index of the first range that starts after tsn.
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tsnDistance(ranges[mid]!.start, tsn) > 0) hi = mid;
      else lo = mid + 1;
    }
    const before = ranges[lo - 1];
    const after = ranges[lo];
    const joinsBefore = before !== undefined && before.end === tsnAdd(tsn, -1);
    const joinsAfter = after !== undefined && after.start === tsnAdd(tsn, 1);
    if (joinsBefore && joinsAfter) {
      before.end = after.end;
      ranges.splice(lo, 1);
    } else if (joinsBefore) {
      before.end = tsn;
    } else if (joinsAfter) {
      after.start = tsn;
    } else {
      ranges.splice(lo, 0, { start: tsn, end: tsn });
    }
  }

  /** RFC 3758 §3.6: FORWARD-TSN moves the cumulative TSN, treating skipped TSNs as received. */
  advanceTo(newCumulative: number): void {
    if (tsnDistance(newCumulative, this.#cumulative) <= 0) return;
    this.#cumulative = newCumulative;
    const ranges = this.#ranges;
    while (ranges.length > 0) {
      const first = ranges[0]!;
      if (tsnDistance(first.start, tsnAdd(newCumulative, 1)) > 0) break;
      ranges.shift();
      if (tsnDistance(first.end, newCumulative) > 0) this.#cumulative = first.end;
    }
  }

  /** Gap ack blocks as offsets from the cumulative TSN (§3.3.4), at most `limit` of them. */
  gapBlocks(limit: number): GapAckBlock[] {
    const blocks: GapAckBlock[] = [];
    for (const range of this.#ranges) {
      if (blocks.length >= limit) break;
      const start = tsnDistance(range.start, this.#cumulative);
      const end = tsnDistance(range.end, this.#cumulative);
      if (end > 0xffff) break;
      blocks.push({ start, end });
    }
    return blocks;
  }

  #find(tsn: number): number {
    let lo = 0;
    let hi = this.#ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const range = this.#ranges[mid]!;
      if (tsnDistance(tsn, range.start) < 0) hi = mid - 1;
      else if (tsnDistance(tsn, range.end) > 0) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}
