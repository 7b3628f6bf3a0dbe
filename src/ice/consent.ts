/**
 * Consent freshness (RFC 7675): while a pair is selected, a Binding request goes out every interval,
 * randomized to 0.8-1.2 times it (§5.1) so that many flows do not synchronize; each authenticated response
 * refreshes consent on the pair. A watchdog re-evaluates the agent's state every second so that silence
 * turns into 'disconnected' and, after the consent timeout, 'failed'.
 */
import type { Clock, TimerHandle } from '../util/index.ts';
import type { CandidatePair } from './checklist.ts';

export interface ConsentOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly random: () => number;
  /** Sends one consent check on the pair. */
  readonly check: (pair: CandidatePair) => void;
  /** Lets the agent re-evaluate its state. */
  readonly onTick: () => void;
}

const watchdogMs = 1000;

export class Consent {
  readonly #options: ConsentOptions;
  #pair: CandidatePair | undefined;
  #checkTimer: TimerHandle | undefined;
  #watchdog: TimerHandle | undefined;
  #expired = false;

  constructor(options: ConsentOptions) {
    this.#options = options;
  }

  /** True once consent was lost: the agent must not send on the pair any more (RFC 7675 §5.1). */
  get expired(): boolean {
    return this.#expired;
  }

  /** Starts checking `pair`; `fresh` counts consent as just granted (a new pair, or across a restart). */
  start(pair: CandidatePair, fresh: boolean): void {
    this.stop();
    this.#pair = pair;
    this.#expired = false;
    if (fresh) pair.lastResponseAt = this.#options.clock.now();
    this.#scheduleCheck();
    this.#scheduleWatchdog();
  }

  #scheduleCheck(): void {
    const { clock, intervalMs, random } = this.#options;
    this.#checkTimer = clock.setTimeout(
      () => {
        if (!this.#pair) return;
        this.#options.check(this.#pair);
        this.#scheduleCheck();
      },
      intervalMs * (0.8 + 0.4 * random()),
    );
  }

  #scheduleWatchdog(): void {
    this.#watchdog = this.#options.clock.setTimeout(() => {
      if (!this.#pair) return;
      this.#scheduleWatchdog();
      this.#options.onTick();
    }, watchdogMs);
  }

  /** Consent expired: stop checking for good (until a new pair is started). */
  expire(): void {
    this.#expired = true;
    this.stop();
  }

  stop(): void {
    this.#options.clock.clearTimeout(this.#checkTimer);
    this.#options.clock.clearTimeout(this.#watchdog);
    this.#checkTimer = undefined;
    this.#watchdog = undefined;
    this.#pair = undefined;
  }
}
