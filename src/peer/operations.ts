/**
 * W3C WebRTC §4.4.1.3 "chain an operation": createOffer, createAnswer, setLocalDescription,
 * setRemoteDescription and addIceCandidate run one at a time, in call order, each starting once the
 * previous one has settled.
 */
import { invalidState } from './signaling-state.ts';

export class OperationsChain {
  readonly #queue: (() => void)[] = [];
  readonly #isClosed: () => boolean;
  readonly #onEmpty: () => void;

  /** `onEmpty` runs when the chain drains (W3C: then update the negotiation-needed flag). */
  constructor(isClosed: () => boolean, onEmpty: () => void) {
    this.#isClosed = isClosed;
    this.#onEmpty = onEmpty;
  }

  get length(): number {
    return this.#queue.length;
  }

  chain<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#isClosed()) return Promise.reject(invalidState('the RTCPeerConnection is closed'));
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        let result: Promise<T>;
        try {
          result = operation();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(
          (value) => this.#settled(() => resolve(value)),
          (error: unknown) => this.#settled(() => reject(error)),
        );
      };
      this.#queue.push(run);
      if (this.#queue.length === 1) run();
    });
  }

  #settled(settle: () => void): void {
    // W3C: once closed, the promise of an operation in flight never settles.
    if (this.#isClosed()) return;
    settle();
    this.#queue.shift();
    const next = this.#queue[0];
    if (next) next();
    else this.#onEmpty();
  }
}

/**
 * W3C §4.4.1.6: the outcome of setting a description is applied in a queued task, the one that also
 * resolves the promise; so the attributes never change while the caller's own code still runs.
 */
export function queuedTask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
