import { ChunkType, type ForwardTsnChunk, type ForwardTsnStream, type SackChunk } from './chunks/types.ts';
import { CongestionControl } from './congestion.ts';
import type { PacketBuilder } from './packet.ts';
import {
  initialRtoState,
  type RtoConfig,
  type RtoState,
  rtoAfterBackoff,
  rtoAfterMeasurement,
} from './rto.ts';
import type { OutboundChunk, OutgoingMessage, SendQueue } from './send-queue.ts';
import type { ProtocolTimer } from './timer.ts';
import { tsnAdd, tsnDistance, tsnLessThan } from './tsn.ts';

export interface DataSenderConfig {
  initialTsn: number;
  peerReceiveWindow: number;
  maxPacketSize: number;
  queue: SendQueue;
  forwardTsn: boolean;
  interleaved: boolean;
  rto: RtoConfig;
  /** T3-rtx of RFC 9260 §6.3.2, owned by the association. */
  t3: ProtocolTimer;
}

/** RFC 9260 §7.2.4: the third miss indication triggers fast retransmit. */
const FAST_RETRANSMIT_THRESHOLD = 3;

/**
 * The sending half of the data path: TSN assignment, the retransmission queue, SACK processing with gap
 * blocks (§6.2.1), T3-rtx (§6.3), fast retransmit (§7.2.4), congestion control (§7.2), the peer's
 * receive window and PR-SCTP abandonment with FORWARD-TSN (RFC 3758 §3.5).
 */
export class DataSender {
  nextTsn: number;
  /** The peer's cumulative TSN ack. */
  cumulativeAck: number;
  /** Bytes sent, not acknowledged, not abandoned and not waiting for retransmission. */
  flightSize = 0;
  peerWindow: number;
  rto: RtoState;
  readonly congestion: CongestionControl;
  /** Chunks from cumulativeAck + 1 upward, in TSN order (TSNs are contiguous from index `#head`). */
  #outstanding: OutboundChunk[] = [];
  #head = 0;
  #gapAcked = 0;
  #toRetransmit = 0;
  #rttProbe: OutboundChunk | undefined;
  #fastRetransmitBurst = false;
  #advancedPeerAckPoint: number;
  #forwardTsnDue = false;
  #lastForwardTsnAt = Number.NEGATIVE_INFINITY;
  #lastSendAt: number | undefined;
  /** Bytes SACKs acknowledged since the output routine last asked (`takeAckedBytes`). */
  #ackedSinceTaken = 0;
  readonly #headerLength: number;

  constructor(private readonly config: DataSenderConfig) {
    this.nextTsn = config.initialTsn;
    this.cumulativeAck = tsnAdd(config.initialTsn, -1);
    this.#advancedPeerAckPoint = this.cumulativeAck;
    this.peerWindow = config.peerReceiveWindow;
    this.rto = initialRtoState(config.rto);
    this.congestion = new CongestionControl(config.maxPacketSize, config.peerReceiveWindow);
    this.#headerLength = config.interleaved ? 20 : 16;
  }

  /** Chunks sent and not yet covered by the cumulative ack. */
  get outstandingCount(): number {
    return this.#outstanding.length - this.#head;
  }

  /** Nothing queued and nothing unacknowledged (SHUTDOWN may proceed, §9.2). */
  get idle(): boolean {
    return this.outstandingCount === 0 && this.config.queue.empty;
  }

  #at(tsn: number): OutboundChunk | undefined {
    const first = this.#outstanding[this.#head];
    if (!first) return undefined;
    const index = tsnDistance(tsn, first.tsn);
    return index < 0 ? undefined : this.#outstanding[this.#head + index];
  }

  #measure(chunk: OutboundChunk, now: number): void {
    if (chunk !== this.#rttProbe) return;
    this.#rttProbe = undefined;
    // §6.3.1 C5 (Karn): only chunks sent once give a measurement.
    if (chunk.transmissions === 1)
      this.rto = rtoAfterMeasurement(this.rto, now - chunk.sentAt, this.config.rto);
  }

  /** Measures an RTT from a HEARTBEAT ACK (§8.3). */
  measureRtt(rttMs: number): void {
    this.rto = rtoAfterMeasurement(this.rto, rttMs, this.config.rto);
  }

  /** Bytes acknowledged since the last call: what the SACKs in between took out of the network. */
  takeAckedBytes(): number {
    const bytes = this.#ackedSinceTaken;
    this.#ackedSinceTaken = 0;
    return bytes;
  }

  /** Processes a SACK (§6.2.1). Returns whether it acknowledged new data (which clears error counts). */
  handleSack(sack: SackChunk, now: number, mayRenege = true): boolean {
    const cumulative = sack.cumulativeTsnAck;
    // §6.2.1 D: a SACK older than the current cumulative ack is out of date.
    if (tsnLessThan(cumulative, this.cumulativeAck)) return false;
    if (!tsnLessThan(cumulative, this.nextTsn)) return false;
    const flightBefore = this.flightSize;
    let bytesAcked = 0;
    const advanced = tsnLessThan(this.cumulativeAck, cumulative);
    const outstanding = this.#outstanding;
    while (this.#head < outstanding.length) {
      const chunk = outstanding[this.#head]!;
      if (tsnLessThan(cumulative, chunk.tsn)) break;
      this.#head++;
      if (chunk.acked) this.#gapAcked--;
      else if (!chunk.abandoned) {
        bytesAcked += chunk.payload.length;
        if (chunk.retransmit) this.#toRetransmit--;
        else this.flightSize -= chunk.payload.length;
      }
      this.#measure(chunk, now);
    }
    if (this.#head > 1024 && this.#head * 2 > outstanding.length) {
      outstanding.splice(0, this.#head);
      this.#head = 0;
    }
    this.cumulativeAck = cumulative;
    if (tsnLessThan(this.#advancedPeerAckPoint, cumulative)) this.#advancedPeerAckPoint = cumulative;

    let newlyAcked = false;
    if (sack.gapBlocks.length > 0) {
      const result = this.#applyGapBlocks(sack, now);
      bytesAcked += result.bytes;
      newlyAcked = result.highestNewlyAcked !== undefined;
      if (result.highestNewlyAcked !== undefined) this.#countMisses(result.highestNewlyAcked);
    } else if (this.#gapAcked > 0 && mayRenege) {
      this.#renege();
    }

    this.#ackedSinceTaken += bytesAcked;
    // §6.2.1: the peer's window less what is still in flight.
    this.peerWindow = Math.max(0, sack.advertisedWindow - this.flightSize);
    this.congestion.onSack(cumulative, advanced, bytesAcked, flightBefore, this.flightSize);
    // §7.2.4: entering fast recovery halves cwnd once and lets one packet go regardless of it.
    if (this.#fastRetransmitBurst) {
      this.#fastRetransmitBurst = this.congestion.onFastRetransmit(tsnAdd(this.nextTsn, -1));
    }

    // §6.3.2 R2 and R3.
    if (this.outstandingCount - this.#gapAcked === 0) this.config.t3.stop();
    else if (advanced) this.config.t3.start(this.rto.rto);

    this.#advancePeerAckPoint(now);
    return advanced || newlyAcked;
  }

  #applyGapBlocks(sack: SackChunk, now: number): { bytes: number; highestNewlyAcked: number | undefined } {
    let bytes = 0;
    let highestNewlyAcked: number | undefined;
    for (const block of sack.gapBlocks) {
      for (let offset = block.start; offset <= block.end; offset++) {
        const tsn = tsnAdd(sack.cumulativeTsnAck, offset);
        const chunk = this.#at(tsn);
        if (!chunk) break;
        if (chunk.acked) continue;
        chunk.acked = true;
        this.#gapAcked++;
        highestNewlyAcked = tsn;
        if (!chunk.abandoned) {
          bytes += chunk.payload.length;
          if (chunk.retransmit) {
            chunk.retransmit = false;
            this.#toRetransmit--;
          } else {
            this.flightSize -= chunk.payload.length;
          }
        }
        this.#measure(chunk, now);
      }
    }
    return { bytes, highestNewlyAcked };
  }

  /** §7.2.4 with HTNA: chunks missing below the highest newly acknowledged TSN get a miss indication. */
  #countMisses(highestNewlyAcked: number): void {
    const outstanding = this.#outstanding;
    for (let i = this.#head; i < outstanding.length; i++) {
      const chunk = outstanding[i]!;
      if (!tsnLessThan(chunk.tsn, highestNewlyAcked)) break;
      if (chunk.acked || chunk.abandoned || chunk.retransmit || chunk.fastRetransmitted) continue;
      if (++chunk.missIndications >= FAST_RETRANSMIT_THRESHOLD) {
        chunk.retransmit = true;
        chunk.fastRetransmitted = true;
        this.#toRetransmit++;
        this.flightSize -= chunk.payload.length;
        this.#fastRetransmitBurst = true;
      }
    }
  }

  /** A SACK without gap blocks withdrew earlier gap acks (§6.2.1: the receiver reneged). */
  #renege(): void {
    for (let i = this.#head; i < this.#outstanding.length; i++) {
      const chunk = this.#outstanding[i]!;
      if (!chunk.acked) continue;
      chunk.acked = false;
      if (!chunk.abandoned) this.flightSize += chunk.payload.length;
    }
    this.#gapAcked = 0;
  }

  /** §6.3.3: T3-rtx expired: back off, and mark everything outstanding for retransmission. */
  handleT3Expiry(now: number): void {
    this.congestion.onRetransmissionTimeout();
    this.rto = rtoAfterBackoff(this.rto, this.config.rto);
    this.#rttProbe = undefined;
    const outstanding = this.#outstanding;
    for (let i = this.#head; i < outstanding.length; i++) {
      const chunk = outstanding[i]!;
      if (chunk.acked || chunk.abandoned) continue;
      if (this.#expired(chunk, now)) {
        this.#abandon(chunk.message);
      } else if (!chunk.retransmit) {
        chunk.retransmit = true;
        this.#toRetransmit++;
        this.flightSize -= chunk.payload.length;
      }
    }
    this.#advancePeerAckPoint(now);
    // RFC 3758 §3.5 C5: an unanswered FORWARD-TSN goes again with the retransmissions.
    if (tsnLessThan(this.cumulativeAck, this.#advancedPeerAckPoint)) this.#forwardTsnDue = true;
    if (this.outstandingCount - this.#gapAcked > 0) this.config.t3.start(this.rto.rto);
  }

  /** RFC 3758 §3.5 A1-A3: has this chunk's message run out of retransmissions or lifetime? */
  #expired(chunk: OutboundChunk, now: number): boolean {
    if (!this.config.forwardTsn) return false;
    const message = chunk.message;
    if (message.abandoned) return true;
    if (message.maxRetransmits !== undefined && chunk.transmissions > message.maxRetransmits) return true;
    return message.expiresAt !== undefined && now >= message.expiresAt;
  }

  #abandon(message: OutgoingMessage): void {
    this.config.queue.abandon(message);
    const outstanding = this.#outstanding;
    for (let i = this.#head; i < outstanding.length; i++) {
      const chunk = outstanding[i]!;
      if (chunk.message !== message || chunk.abandoned) continue;
      chunk.abandoned = true;
      if (chunk.acked) continue;
      if (chunk.retransmit) {
        chunk.retransmit = false;
        this.#toRetransmit--;
      } else {
        this.flightSize -= chunk.payload.length;
      }
    }
  }

  /** RFC 3758 §3.5 C1-C4: move the Advanced.Peer.Ack.Point over abandoned chunks. */
  #advancePeerAckPoint(now: number): void {
    if (!this.config.forwardTsn) return;
    let point = this.#advancedPeerAckPoint;
    for (;;) {
      const chunk = this.#at(tsnAdd(point, 1));
      if (!chunk?.abandoned) break;
      point = chunk.tsn;
    }
    this.#advancedPeerAckPoint = point;
    if (tsnLessThan(this.cumulativeAck, point) && now - this.#lastForwardTsnAt >= (this.rto.srtt ?? 0)) {
      this.#forwardTsnDue = true;
    }
  }

  /** The FORWARD-TSN (or I-FORWARD-TSN) to send now, naming the last skipped message per stream. */
  takeForwardTsn(now: number): ForwardTsnChunk | undefined {
    if (!this.#forwardTsnDue) return undefined;
    this.#forwardTsnDue = false;
    if (!tsnLessThan(this.cumulativeAck, this.#advancedPeerAckPoint)) return undefined;
    this.#lastForwardTsnAt = now;
    const entries = new Map<number, ForwardTsnStream>();
    for (let i = this.#head; i < this.#outstanding.length; i++) {
      const chunk = this.#outstanding[i]!;
      if (tsnLessThan(this.#advancedPeerAckPoint, chunk.tsn)) break;
      // RFC 3758 §3.2 lists ordered streams only; RFC 8260 §2.3 lists unordered ones with the U flag.
      if (chunk.unordered && !this.config.interleaved) continue;
      const key = chunk.streamId * 2 + (chunk.unordered ? 1 : 0);
      entries.set(key, { streamId: chunk.streamId, sequence: chunk.sequence, unordered: chunk.unordered });
    }
    return {
      type: this.config.interleaved ? ChunkType.I_FORWARD_TSN : ChunkType.FORWARD_TSN,
      newCumulativeTsn: this.#advancedPeerAckPoint,
      streams: [...entries.values()],
    };
  }

  /**
   * Adds retransmissions, then new chunks, to the packet as far as cwnd (§7.2, rule B of §6.1) and the
   * peer's window (rule A) allow. Returns whether any DATA went in.
   */
  fillPacket(builder: PacketBuilder, now: number): boolean {
    let added = false;
    const congestion = this.congestion;
    // §7.2.4: the first packet of a fast retransmission goes regardless of cwnd.
    const ignoreWindow = this.#fastRetransmitBurst;
    this.#fastRetransmitBurst = false;
    if (this.#toRetransmit > 0) {
      const outstanding = this.#outstanding;
      for (let i = this.#head; i < outstanding.length && this.#toRetransmit > 0; i++) {
        const chunk = outstanding[i]!;
        if (!chunk.retransmit) continue;
        if (this.#expired(chunk, now)) {
          this.#abandon(chunk.message);
          this.#advancePeerAckPoint(now);
          continue;
        }
        if (!ignoreWindow && this.flightSize >= congestion.cwnd) return this.#sent(added, now);
        if (!builder.fits(this.#headerLength + chunk.payload.length)) return this.#sent(added, now);
        builder.add(chunk);
        chunk.retransmit = false;
        this.#toRetransmit--;
        chunk.transmissions++;
        chunk.sentAt = now;
        this.flightSize += chunk.payload.length;
        added = true;
      }
    }
    if (this.flightSize === 0 && this.#lastSendAt !== undefined && now - this.#lastSendAt > this.rto.rto) {
      congestion.onIdle();
    }
    const queue = this.config.queue;
    while (this.flightSize < congestion.cwnd && (this.peerWindow > 0 || this.flightSize === 0)) {
      const room = (builder.room - this.#headerLength) & ~3;
      if (room <= 0) break;
      const chunk = queue.next(room, now);
      if (!chunk) break;
      chunk.tsn = this.nextTsn;
      this.nextTsn = tsnAdd(this.nextTsn, 1);
      this.#outstanding.push(chunk);
      builder.add(chunk);
      chunk.transmissions = 1;
      chunk.sentAt = now;
      this.flightSize += chunk.payload.length;
      this.peerWindow = Math.max(0, this.peerWindow - chunk.payload.length);
      if (!this.#rttProbe) this.#rttProbe = chunk;
      added = true;
    }
    return this.#sent(added, now);
  }

  #sent(added: boolean, now: number): boolean {
    if (added) {
      this.#lastSendAt = now;
      // §6.3.2 R1.
      this.config.t3.startIfStopped(this.rto.rto);
    }
    return added;
  }

  /** Whether anything could go out now (used to decide whether another packet is worth building). */
  get canSend(): boolean {
    if (this.#toRetransmit > 0 && (this.#fastRetransmitBurst || this.flightSize < this.congestion.cwnd))
      return true;
    return (
      !this.config.queue.empty &&
      this.flightSize < this.congestion.cwnd &&
      (this.peerWindow > 0 || this.flightSize === 0)
    );
  }

  /** For stream reset (RFC 6525 §4.1): the last TSN assigned so far. */
  get lastAssignedTsn(): number {
    return tsnAdd(this.nextTsn, -1);
  }
}
