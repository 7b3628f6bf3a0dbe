import { type Clock, seededRandom, type TimerHandle } from '../util/index.ts';

export interface LossyLinkOptions {
  clock: Clock;
  /** One-way delay of every packet. */
  delayMs?: number;
  /** Extra uniformly random delay, up to this much. */
  jitterMs?: number;
  /** Probability that a packet is dropped. */
  lossRate?: number;
  /** Probability that a packet is held back by an extra delay, so later ones overtake it. */
  reorderRate?: number;
  /** Probability that a packet is delivered twice (the copy a little later). */
  duplicateRate?: number;
  /** Seed of the link's pseudo-random choices: the same seed replays the same losses. */
  seed?: number;
}

interface InFlight {
  due: number;
  order: number;
  packet: Uint8Array;
  deliver: (packet: Uint8Array) => void;
}

/**
 * A deterministic in-memory datagram link between two endpoints, for tests in virtual time: loss,
 * reordering, delay and jitter drawn from a seeded generator. Packets are copied on send (senders reuse
 * their buffers) and delivered from one clock timer at a time, ordered by due time.
 */
export class LossyLink {
  readonly stats = { sent: 0, dropped: 0, reordered: 0, duplicated: 0, delivered: 0 };
  readonly a: { send(packet: Uint8Array): void };
  readonly b: { send(packet: Uint8Array): void };
  #receiveA: (packet: Uint8Array) => void = () => {};
  #receiveB: (packet: Uint8Array) => void = () => {};
  readonly #heap: InFlight[] = [];
  #order = 0;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #random: () => number;
  /** While false, packets are dropped in both directions (a cut cable). */
  up = true;

  constructor(private readonly options: LossyLinkOptions) {
    this.#random = seededRandom(options.seed ?? 1);
    this.a = { send: (packet) => this.#send(packet, (p) => this.#receiveB(p)) };
    this.b = { send: (packet) => this.#send(packet, (p) => this.#receiveA(p)) };
  }

  /** Sets who receives what the other side sends. */
  attach(receiveOnA: (packet: Uint8Array) => void, receiveOnB: (packet: Uint8Array) => void): void {
    this.#receiveA = receiveOnA;
    this.#receiveB = receiveOnB;
  }

  #send(packet: Uint8Array, deliver: (packet: Uint8Array) => void): void {
    this.stats.sent++;
    const {
      lossRate = 0,
      reorderRate = 0,
      duplicateRate = 0,
      delayMs = 0,
      jitterMs = 0,
      clock,
    } = this.options;
    if (!this.up || this.#random() < lossRate) {
      this.stats.dropped++;
      return;
    }
    let delay = delayMs + this.#random() * jitterMs;
    if (this.#random() < reorderRate) {
      this.stats.reordered++;
      delay += 1 + this.#random() * Math.max(5, delayMs);
    }
    const copy = packet.slice();
    this.#push({ due: clock.now() + delay, order: this.#order++, packet: copy, deliver });
    if (this.#random() < duplicateRate) {
      this.stats.duplicated++;
      this.#push({ due: clock.now() + delay + 1, order: this.#order++, packet: copy.slice(), deliver });
    }
    this.#schedule();
  }

  #schedule(): void {
    const first = this.#heap[0];
    if (!first || first.due >= this.#timerDue) return;
    const clock = this.options.clock;
    clock.clearTimeout(this.#timer);
    this.#timerDue = first.due;
    this.#timer = clock.setTimeout(() => this.#deliverDue(), Math.max(0, first.due - clock.now()));
  }

  #deliverDue(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.options.clock.now();
    for (;;) {
      const first = this.#heap[0];
      if (!first || first.due > now) break;
      this.#pop();
      this.stats.delivered++;
      first.deliver(first.packet);
    }
    this.#schedule();
  }

  #before(x: InFlight, y: InFlight): boolean {
    return x.due < y.due || (x.due === y.due && x.order < y.order);
  }

  #push(item: InFlight): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.#before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
