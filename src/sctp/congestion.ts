import { tsnLessOrEqual } from './tsn.ts';

/**
 * RFC 9260 §7.2 congestion control for the single path of a WebRTC association: slow start, congestion
 * avoidance, the T3-rtx reaction and fast recovery. Pure bookkeeping; the sender tells it what happened.
 */
export class CongestionControl {
  cwnd: number;
  ssthresh: number;
  partialBytesAcked = 0;
  #fastRecoveryExit: number | undefined;

  constructor(
    readonly mtu: number,
    peerReceiveWindow: number,
  ) {
    // §7.2.1: initial cwnd = min(4*MTU, max(2*MTU, 4380)); ssthresh starts at the peer's a_rwnd.
    this.cwnd = Math.min(4 * mtu, Math.max(2 * mtu, 4380));
    this.ssthresh = peerReceiveWindow;
  }

  get inFastRecovery(): boolean {
    return this.#fastRecoveryExit !== undefined;
  }

  /**
   * A SACK arrived. `bytesAcked` counts newly acknowledged bytes (cumulative and gap), `flightBefore` the
   * bytes outstanding before it, `flightAfter` after it.
   */
  onSack(
    cumulativeTsnAck: number,
    cumulativeAdvanced: boolean,
    bytesAcked: number,
    flightBefore: number,
    flightAfter: number,
  ): void {
    if (this.#fastRecoveryExit !== undefined && tsnLessOrEqual(this.#fastRecoveryExit, cumulativeTsnAck)) {
      // §7.2.4: fast recovery ends when the SACK acknowledges the exit point.
      this.#fastRecoveryExit = undefined;
    }
    if (flightAfter === 0) this.partialBytesAcked = 0;
    if (!cumulativeAdvanced || this.inFastRecovery) return;
    // "Fully utilized": the sender could not have sent another full packet before this SACK.
    const fullyUtilized = flightBefore + this.mtu >= this.cwnd;
    if (this.cwnd <= this.ssthresh) {
      // §7.2.1 slow start: grow by at most one MTU (L = 1) per SACK that advances the cumulative ack.
      if (fullyUtilized) this.cwnd += Math.min(bytesAcked, this.mtu);
      return;
    }
    // §7.2.2 congestion avoidance: one MTU per cwnd of acknowledged bytes.
    this.partialBytesAcked += bytesAcked;
    if (this.partialBytesAcked >= this.cwnd) {
      if (fullyUtilized) {
        this.partialBytesAcked -= this.cwnd;
        this.cwnd += this.mtu;
      } else {
        this.partialBytesAcked = this.cwnd;
      }
    }
  }

  /** §7.2.3: T3-rtx expired. */
  onRetransmissionTimeout(): void {
    this.ssthresh = Math.max(this.cwnd / 2, 4 * this.mtu);
    this.cwnd = this.mtu;
    this.partialBytesAcked = 0;
    this.#fastRecoveryExit = undefined;
  }

  /**
   * §7.2.4: chunks reached three miss indications. Outside fast recovery, halve the window once and
   * enter fast recovery until `highestOutstandingTsn` is acknowledged. Returns whether it entered.
   */
  onFastRetransmit(highestOutstandingTsn: number): boolean {
    if (this.inFastRecovery) return false;
    this.ssthresh = Math.max(this.cwnd / 2, 4 * this.mtu);
    this.cwnd = this.ssthresh;
    this.partialBytesAcked = 0;
    this.#fastRecoveryExit = highestOutstandingTsn;
    return true;
  }

  /** §7.2.1: after an idle period of an RTO, the window decays (the sender was not probing the path). */
  onIdle(): void {
    this.cwnd = Math.max(this.cwnd / 2, 4 * this.mtu);
  }
}
