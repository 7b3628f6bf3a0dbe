import { ChunkType, type DataChunk, type ForwardTsnChunk, type SackChunk } from './chunks/types.ts';
import { type DeliverMessage, ReassemblyQueue } from './reassembly.ts';
import type { ProtocolTimer } from './timer.ts';
import { tsnDistance, tsnLessThan } from './tsn.ts';
import { ReceivedTsnTracker } from './tsn-tracker.ts';

export interface DataReceiverConfig {
  peerInitialTsn: number;
  receiveWindow: number;
  interleaved: boolean;
  maxMessageSize: number;
  maxPacketSize: number;
  deliver: DeliverMessage;
  /** The delayed SACK timer (RFC 9260 §6.2), owned by the association. */
  delayedAck: ProtocolTimer;
  delayedAckMs: number;
}

const MAX_DUPLICATES_REPORTED = 32;
/** Gap ack block offsets are 16 bits (§3.3.4): TSNs further ahead than that cannot be reported. */
const MAX_TSN_LEAD = 0xffff;

/**
 * Packets of one burst acknowledged by one SACK at most. §6.2 asks for a SACK for at least every second
 * packet; packets that arrive together (read in one turn of the event loop) are acknowledged together,
 * right after that turn, which leaves the SACK's timing unchanged on a path where packets come one by one
 * and saves a datagram, a record and a syscall each way per two packets where they come in bursts.
 */
const MAX_PACKETS_PER_SACK = 16;

/**
 * The receiving half of the data path: TSN bookkeeping, duplicates, the advertised window, reassembly,
 * and when to SACK (§6.2: for every second packet with DATA, once the burst it came in has been read;
 * within 200 ms for a lone packet; at once on a gap, a duplicate, or the I bit).
 */
export class DataReceiver {
  readonly tracker: ReceivedTsnTracker;
  readonly reassembly: ReassemblyQueue;
  /** Bytes delivered to a consumer that has not taken them yet (Web Streams backpressure). */
  heldByApplication = 0;
  #duplicates: number[] = [];
  #packetsSinceSack = 0;
  #sackNow = false;
  #lastAdvertised: number;
  #dataInPacket = false;

  constructor(private readonly config: DataReceiverConfig) {
    this.tracker = new ReceivedTsnTracker(config.peerInitialTsn);
    this.reassembly = new ReassemblyQueue(config.interleaved, config.maxMessageSize, config.deliver);
    this.#lastAdvertised = config.receiveWindow;
  }

  get advertisedWindow(): number {
    return Math.max(0, this.config.receiveWindow - this.reassembly.bufferedBytes - this.heldByApplication);
  }

  get sackPending(): boolean {
    return this.#sackNow || this.config.delayedAck.running;
  }

  /** Whether a SACK must go out with the next packet rather than wait for the delayed-ack timer. */
  get sackDue(): boolean {
    return this.#sackNow;
  }

  /** Accepts one DATA or I-DATA chunk. Returns false when it was dropped or a duplicate. */
  handleData(chunk: DataChunk): boolean {
    this.#dataInPacket = true;
    if (chunk.immediate) this.#sackNow = true;
    const tsn = chunk.tsn;
    const tracker = this.tracker;
    if (tracker.has(tsn)) {
      if (this.#duplicates.length < MAX_DUPLICATES_REPORTED) this.#duplicates.push(tsn);
      this.#sackNow = true;
      return false;
    }
    if (tsnDistance(tsn, tracker.cumulativeTsn) > MAX_TSN_LEAD) return false;
    // §6.2: with no window left, new TSNs beyond the highest received are dropped; holes still fill.
    if (this.advertisedWindow <= 0 && tsnLessThan(tracker.highestTsn, tsn)) return false;
    tracker.add(tsn);
    this.reassembly.add(chunk);
    return true;
  }

  /** RFC 3758 §3.6. */
  handleForwardTsn(chunk: ForwardTsnChunk): void {
    this.#sackNow = true;
    if (!tsnLessThan(this.tracker.cumulativeTsn, chunk.newCumulativeTsn)) return;
    this.tracker.advanceTo(chunk.newCumulativeTsn);
    this.reassembly.forward(chunk.newCumulativeTsn, chunk.streams);
  }

  /** Decides, once per received packet, whether its DATA is acknowledged now or after a delay. */
  afterPacket(): void {
    if (!this.#dataInPacket) return;
    this.#dataInPacket = false;
    this.#packetsSinceSack++;
    if (this.#packetsSinceSack >= MAX_PACKETS_PER_SACK || this.tracker.hasGaps) this.#sackNow = true;
    // A 0 ms timer runs after the rest of the burst (the I/O at hand, or what a virtual link delivers
    // at the same instant).
    else if (this.#packetsSinceSack >= 2) this.config.delayedAck.start(0);
    else this.config.delayedAck.startIfStopped(this.config.delayedAckMs);
  }

  /** The consumer took `bytes` it was holding; a window that opened widely is announced at once. */
  release(bytes: number): void {
    this.heldByApplication = Math.max(0, this.heldByApplication - bytes);
    if (this.advertisedWindow - this.#lastAdvertised >= this.config.receiveWindow / 4) this.#sackNow = true;
  }

  /** Asks for a SACK in the next packet (e.g. after SHUTDOWN, §9.2, or a window update). */
  requestSack(): void {
    this.#sackNow = true;
  }

  takeSack(): SackChunk {
    this.#sackNow = false;
    this.#packetsSinceSack = 0;
    this.config.delayedAck.stop();
    const duplicateTsns = this.#duplicates;
    this.#duplicates = [];
    const roomForBlocks = Math.floor((this.config.maxPacketSize - 12 - 16) / 4) - duplicateTsns.length;
    this.#lastAdvertised = this.advertisedWindow;
    return {
      type: ChunkType.SACK,
      cumulativeTsnAck: this.tracker.cumulativeTsn,
      advertisedWindow: this.#lastAdvertised,
      gapBlocks: this.tracker.hasGaps ? this.tracker.gapBlocks(Math.min(128, roomForBlocks)) : [],
      duplicateTsns,
    };
  }
}
