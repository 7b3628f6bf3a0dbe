/**
 * W3C WebRTC §4.7.3 "update the negotiation-needed flag": the flag is only raised while stable and with
 * an empty operations chain, and the event fires from a queued task that checks again.
 */
export interface NegotiationNeededHost {
  isClosed(): boolean;
  /** The operations chain has work in it. */
  busy(): boolean;
  stable(): boolean;
  /** W3C §4.7.3 "check if negotiation is needed". */
  needed(): boolean;
  fire(): void;
}

export class NegotiationNeeded {
  readonly #host: NegotiationNeededHost;
  #flag = false;
  /** [[UpdateNegotiationNeededFlagOnEmptyChain]]. */
  #updateOnEmptyChain = false;

  constructor(host: NegotiationNeededHost) {
    this.#host = host;
  }

  /** A completed exchange clears the flag (W3C §4.4.1.6, when the state becomes stable). */
  clear(): void {
    this.#flag = false;
  }

  chainEmptied(): void {
    if (!this.#updateOnEmptyChain) return;
    this.#updateOnEmptyChain = false;
    this.update();
  }

  update(): void {
    const host = this.#host;
    if (host.isClosed()) return;
    if (host.busy()) {
      this.#updateOnEmptyChain = true;
      return;
    }
    if (!host.stable()) return;
    if (!host.needed()) {
      this.#flag = false;
      return;
    }
    if (this.#flag) return;
    this.#flag = true;
    queueMicrotask(() => {
      if (host.isClosed() || host.busy() || !host.stable() || !this.#flag) return;
      host.fire();
    });
  }
}
