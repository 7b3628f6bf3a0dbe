/**
 * Anti-replay window (RFC 6347 §4.1.2.6, the sliding window of RFC 4303 §3.4.3). Checking is separate
 * from marking: a record is marked only once it has been authenticated, so forged records cannot move the
 * window.
 */
export class ReplayWindow {
  readonly #size: number;
  readonly #seen: Uint8Array;
  /** Highest sequence number marked so far, -1 before the first. */
  #top = -1;

  constructor(size = 64) {
    if (!Number.isInteger(size) || size < 32)
      throw new RangeError('replay window must hold at least 32 records');
    this.#size = size;
    this.#seen = new Uint8Array(size);
  }

  /** True when `sequenceNumber` is new and not too old to tell (left of the window means reject). */
  accepts(sequenceNumber: number): boolean {
    if (sequenceNumber > this.#top) return true;
    if (this.#top - sequenceNumber >= this.#size) return false;
    return this.#seen[sequenceNumber % this.#size] === 0;
  }

  mark(sequenceNumber: number): void {
    if (sequenceNumber > this.#top) {
      const advance = sequenceNumber - this.#top;
      if (advance >= this.#size) {
        this.#seen.fill(0);
      } else {
        // Slots between the old top and the new one belong to sequence numbers not seen yet.
        for (let s = this.#top + 1; s < sequenceNumber; s++) this.#seen[s % this.#size] = 0;
      }
      this.#top = sequenceNumber;
    } else if (this.#top - sequenceNumber >= this.#size) {
      return;
    }
    this.#seen[sequenceNumber % this.#size] = 1;
  }
}
