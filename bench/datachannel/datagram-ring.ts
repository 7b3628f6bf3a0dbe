/**
 * A single-producer, single-consumer queue of datagrams in shared memory, for the ceiling benchmark's
 * threads: records of [length u32][bytes], a wrap marker where a record would not fit before the end, and
 * counters the consumer can wait on (Atomics.waitAsync) instead of a message per datagram. Head and tail
 * are byte counts in Int32 cells: enough for the 2 GiB a benchmark run moves at most.
 */

const HEAD = 0;
const TAIL = 1;
const PUBLISHED = 2;
const WRAP = 0xffff_ffff;

export interface DatagramRingMemory {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export function createDatagramRing(bytes: number): DatagramRingMemory {
  return {
    data: new SharedArrayBuffer(bytes),
    control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
  };
}

export class DatagramRing {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #control: Int32Array;
  readonly #size: number;

  constructor(memory: DatagramRingMemory) {
    this.#bytes = new Uint8Array(memory.data);
    this.#view = new DataView(memory.data);
    this.#control = new Int32Array(memory.control);
    this.#size = memory.data.byteLength;
  }

  /** Appends one datagram; false when it does not fit now. */
  push(datagram: Uint8Array): boolean {
    const need = 4 + datagram.length;
    const head = Atomics.load(this.#control, HEAD);
    let tail = Atomics.load(this.#control, TAIL);
    let at = tail % this.#size;
    if (at + need > this.#size) {
      // The tail of the buffer is too short: mark it skipped and start over at 0.
      if (this.#size - (tail - head) < this.#size - at + need) return false;
      if (at + 4 <= this.#size) this.#view.setUint32(at, WRAP);
      tail += this.#size - at;
      at = 0;
    }
    if (this.#size - (tail - head) < need) return false;
    this.#view.setUint32(at, datagram.length);
    this.#bytes.set(datagram, at + 4);
    Atomics.store(this.#control, TAIL, tail + need);
    return true;
  }

  /** Wakes a consumer waiting in `waitForMore`; one call per batch of pushes. */
  publish(): void {
    Atomics.add(this.#control, PUBLISHED, 1);
    Atomics.notify(this.#control, PUBLISHED);
  }

  /** Hands every queued datagram to `consume` (a view, valid during the call); returns how many. */
  drain(consume: (datagram: Uint8Array) => void): number {
    let head = Atomics.load(this.#control, HEAD);
    const tail = Atomics.load(this.#control, TAIL);
    let count = 0;
    while (head < tail) {
      const at = head % this.#size;
      if (at + 4 > this.#size || this.#view.getUint32(at) === WRAP) {
        head += this.#size - at;
        continue;
      }
      const length = this.#view.getUint32(at);
      consume(this.#bytes.subarray(at + 4, at + 4 + length));
      head += 4 + length;
      count++;
    }
    Atomics.store(this.#control, HEAD, head);
    return count;
  }

  /** The publish count, to pass to `waitForMore` after a drain found nothing more. */
  get published(): number {
    return Atomics.load(this.#control, PUBLISHED);
  }

  /** Resolves once `publish` was called after `seen` was read (at once if it already was). */
  async waitForMore(seen: number): Promise<void> {
    const wait = Atomics.waitAsync(this.#control, PUBLISHED, seen);
    if (wait.async) await wait.value;
  }
}
