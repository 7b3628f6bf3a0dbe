/**
 * Time as the protocol layers see it. Every state machine with timers (STUN transactions, ICE pacing and
 * consent, TURN refreshes, DTLS flights, SCTP T1/T2/T3, signaling keepalives) takes a Clock, so tests can
 * drive them in virtual time instead of sleeping.
 */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

type PlatformTimer = ReturnType<typeof globalThis.setTimeout>;
type PlatformImmediate = ReturnType<typeof globalThis.setImmediate>;

/**
 * Real time, in Node and in browsers. By default its timers do not keep a Node process alive on their
 * own (protocol timers ride on sockets and servers that do); a client that must wait out a reconnect
 * backoff with no socket open asks for `keepProcessAlive`.
 */
export class SystemClock implements Clock {
  #nextId = 1;
  readonly #timers = new Map<number, PlatformTimer>();
  readonly #immediates = new Map<number, PlatformImmediate>();
  readonly #keepProcessAlive: boolean;

  constructor(options: { keepProcessAlive?: boolean } = {}) {
    this.#keepProcessAlive = options.keepProcessAlive ?? false;
  }

  now(): number {
    return globalThis.performance.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    // Node runs a 0 ms timeout after at least 1 ms; "now" (e.g. the first ICE check) runs in this turn of
    // the event loop instead, after the I/O at hand. Not unref'd: Node's poll phase would not wake for an
    // unref'd immediate, and one turn of the loop keeps no process alive.
    if (delayMs <= 0 && typeof globalThis.setImmediate === 'function') {
      const immediates = this.#immediates;
      immediates.set(
        id,
        globalThis.setImmediate(() => {
          immediates.delete(id);
          callback();
        }),
      );
      return { id };
    }
    const timer = globalThis.setTimeout(() => {
      this.#timers.delete(id);
      callback();
    }, delayMs);
    // Node's timers are objects with unref(); browsers' are numbers.
    if (!this.#keepProcessAlive) (timer as { unref?: () => void }).unref?.();
    this.#timers.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.#timers.get(handle.id);
    if (timer !== undefined) {
      globalThis.clearTimeout(timer);
      this.#timers.delete(handle.id);
      return;
    }
    const immediate = this.#immediates.get(handle.id);
    if (immediate === undefined) return;
    globalThis.clearImmediate(immediate);
    this.#immediates.delete(handle.id);
  }
}

export const systemClock: Clock = new SystemClock();

type ScheduledTimer = { id: number; due: number; callback: () => void };

/**
 * A clock that only moves when told to. Timers fire in due order (ties in scheduling order) during
 * `advance`, and callbacks may schedule further timers, which fire too if they fall inside the window.
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ScheduledTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.push({ id, due: this.#now + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.#timers = this.#timers.filter((timer) => timer.id !== handle.id);
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#earliestDue(target);
      if (!next) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      // After a suspension, overdue timers fire at the present, not back in time.
      this.#now = Math.max(this.#now, next.due);
      next.callback();
    }
    this.#now = target;
  }

  /**
   * Moves time forward by `ms` without firing anything, as when the process was suspended (a sleeping
   * laptop, a frozen tab): the timers that fell due meanwhile fire late, at the next `advance`.
   */
  suspend(ms: number): void {
    this.#now += ms;
  }

  /** Fires timers one after another until none is left or `limitMs` of virtual time has passed. */
  runAll(limitMs = 3_600_000): void {
    const deadline = this.#now + limitMs;
    for (;;) {
      const next = this.#earliestDue(deadline);
      if (!next) return;
      this.advance(next.due - this.#now);
    }
  }

  #earliestDue(notAfter: number): ScheduledTimer | undefined {
    let earliest: ScheduledTimer | undefined;
    for (const timer of this.#timers) {
      if (
        timer.due <= notAfter &&
        (!earliest || timer.due < earliest.due || (timer.due === earliest.due && timer.id < earliest.id))
      ) {
        earliest = timer;
      }
    }
    return earliest;
  }
}
