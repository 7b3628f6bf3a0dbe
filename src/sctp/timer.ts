import type { Clock, TimerHandle } from '../util/index.ts';

/**
 * One named protocol timer (T1-init, T3-rtx, ...) on the injected clock. Re-arming is lazy: moving the
 * deadline later only records it, and the armed callback re-arms itself when it fires early. T3-rtx is
 * restarted on nearly every SACK, so this keeps the clock's timer churn to about one per RTO.
 */
export class ProtocolTimer {
  #handle: TimerHandle | undefined;
  #armedAt = 0;
  #deadline = -1;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly onExpire: () => void,
  ) {}

  get running(): boolean {
    return this.#deadline >= 0;
  }

  /** (Re)starts the timer to expire `delayMs` from now. */
  start(delayMs: number): void {
    const deadline = this.clock.now() + delayMs;
    this.#deadline = deadline;
    if (this.#handle && this.#armedAt <= deadline) return;
    this.clock.clearTimeout(this.#handle);
    this.#arm(deadline);
  }

  /** Starts the timer only when it is not running (RFC 9260 §6.3.2 R1). */
  startIfStopped(delayMs: number): void {
    if (!this.running) this.start(delayMs);
  }

  stop(): void {
    this.#deadline = -1;
  }

  /** Stops and releases the clock's timer, for when the association ends. */
  dispose(): void {
    this.#deadline = -1;
    this.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #arm(at: number): void {
    this.#armedAt = at;
    this.#handle = this.clock.setTimeout(() => this.#fire(), Math.max(0, at - this.clock.now()));
  }

  #fire(): void {
    this.#handle = undefined;
    if (this.#deadline < 0) return;
    if (this.clock.now() < this.#deadline) {
      this.#arm(this.#deadline);
      return;
    }
    this.#deadline = -1;
    this.onExpire();
  }
}
