import { type Clock, randomBytes } from '../util/index.ts';
import { chunkLength } from './chunks/codec.ts';
import {
  type Chunk,
  ChunkType,
  type DataChunk,
  ErrorCauseCode,
  type HeartbeatChunk,
  type ReconfigChunk,
} from './chunks/types.ts';
import { SctpAssociationError } from './errors.ts';
import type { LocalParameters, Negotiated, PeerParameters } from './handshake.ts';
import { PacketBuilder } from './packet.ts';
import { DataReceiver } from './receiver.ts';
import { type RtoConfig, rtoAfterBackoff } from './rto.ts';
import { OutgoingMessage, type SendOptions, SendQueue } from './send-queue.ts';
import { DataSender } from './sender.ts';
import { type StreamResetDirection, StreamResetter } from './stream-reset.ts';
import { ProtocolTimer } from './timer.ts';

/** The parts of the association the data path drives (state, error counting, events). */
export interface DataPathOwner {
  state(): string;
  setState(state: 'shutdown-sent' | 'shutdown-received' | 'shutdown-ack-sent'): void;
  /** Counts one error (§8.1); false once the association gave up and ended. */
  countError(): boolean;
  clearErrors(): void;
  end(error?: SctpAssociationError): void;
  deliver(streamId: number, ppid: number, data: Uint8Array, unordered: boolean): void;
  bufferedAmountChanged(streamId: number, amount: number): void;
  streamsReset(streamIds: number[], direction: StreamResetDirection, succeeded: boolean): void;
}

export interface DataPathConfig {
  clock: Clock;
  transport: { send(packet: Uint8Array): void };
  owner: DataPathOwner;
  local: LocalParameters;
  peer: PeerParameters;
  negotiated: Negotiated;
  maxPacketSize: number;
  maxMessageSize: number;
  rto: RtoConfig;
  delayedAckMs: number;
  heartbeatIntervalMs: number;
  /** Packets with DATA per flush; 0 for no limit. */
  maxBurst: number;
  localPort: number;
  remotePort: number;
}

const HEARTBEAT_INFO_LENGTH = 16;

/**
 * Everything after the handshake: the send queue, sender and receiver, the RE-CONFIG exchange, and the
 * packets that carry them. Sends are coalesced: `send` only queues and schedules one flush per
 * microtask turn, which bundles control chunks and DATA into full packets (RFC 9260 §6.10).
 */
export class DataPath {
  readonly queue: SendQueue;
  readonly sender: DataSender;
  readonly receiver: DataReceiver;
  readonly resetter: StreamResetter;
  /** Control chunks waiting for the next packet (they precede DATA, §6.10). */
  readonly control: Chunk[] = [];
  readonly #builder: PacketBuilder;
  readonly #t3: ProtocolTimer;
  readonly #delayedAck: ProtocolTimer;
  readonly #heartbeat: ProtocolTimer;
  readonly #reconfig: ProtocolTimer;
  readonly #t2: ProtocolTimer;
  #flushScheduled = false;
  #unsentReconfig: ReconfigChunk | undefined;
  #disposed = false;
  #heartbeatNonce: Uint8Array | undefined;
  #t2Rto = 0;

  constructor(private readonly config: DataPathConfig) {
    const { clock, negotiated, owner } = config;
    this.#builder = new PacketBuilder(config.maxPacketSize);
    const guarded = (work: () => void) => this.#guarded(work);
    this.#t3 = new ProtocolTimer(
      'T3-rtx',
      clock,
      guarded(() => this.#onT3()),
    );
    this.#delayedAck = new ProtocolTimer(
      'delayed SACK',
      clock,
      guarded(() => {
        this.receiver.requestSack();
        this.flush();
      }),
    );
    this.#heartbeat = new ProtocolTimer(
      'heartbeat',
      clock,
      guarded(() => this.#onHeartbeat()),
    );
    this.#reconfig = new ProtocolTimer(
      'stream reconfiguration',
      clock,
      guarded(() => this.#onReconfigTimer()),
    );
    this.#t2 = new ProtocolTimer(
      'T2-shutdown',
      clock,
      guarded(() => this.#onT2()),
    );
    const headerLength = negotiated.interleaved ? 20 : 16;
    this.queue = new SendQueue(negotiated.interleaved, (config.maxPacketSize - 12 - headerLength) & ~3);
    this.sender = new DataSender({
      initialTsn: config.local.initialTsn,
      peerReceiveWindow: config.peer.receiveWindow,
      maxPacketSize: config.maxPacketSize,
      queue: this.queue,
      forwardTsn: negotiated.forwardTsn,
      interleaved: negotiated.interleaved,
      rto: config.rto,
      t3: this.#t3,
    });
    this.receiver = new DataReceiver({
      peerInitialTsn: config.peer.initialTsn,
      receiveWindow: config.local.receiveWindow,
      interleaved: negotiated.interleaved,
      maxMessageSize: config.maxMessageSize,
      maxPacketSize: config.maxPacketSize,
      deliver: owner.deliver,
      delayedAck: this.#delayedAck,
      delayedAckMs: config.delayedAckMs,
    });
    this.resetter = new StreamResetter({
      localInitialTsn: config.local.initialTsn,
      peerInitialTsn: config.peer.initialTsn,
      supported: negotiated.reconfig,
      queue: this.queue,
      sender: this.sender,
      receiver: this.receiver,
      timer: this.#reconfig,
      // A packet's common header, the chunk header, a response (12) and the request's own 16 bytes.
      maxStreamsPerRequest: Math.floor((config.maxPacketSize - 12 - 4 - 12 - 16) / 4) * 2,
      onReset: owner.streamsReset,
    });
    this.#armHeartbeat();
  }

  enqueue(streamId: number, ppid: number, data: Uint8Array, options: SendOptions, counted: boolean): void {
    const lifetime = options.maxPacketLifeTimeMs;
    const message = new OutgoingMessage(
      streamId,
      ppid,
      data,
      options.unordered === true,
      options.maxRetransmits,
      lifetime === undefined ? undefined : this.config.clock.now() + lifetime,
      counted,
    );
    this.queue.enqueue(message);
    this.scheduleFlush();
  }

  resetStreams(streamIds: number[]): void {
    this.resetter.request(streamIds);
    this.scheduleFlush();
  }

  scheduleFlush(): void {
    if (this.#flushScheduled || this.#disposed) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#guarded(() => this.flush()));
  }

  /**
   * Work in a microtask or timer of its own (a flush a received packet scheduled, a retransmission) has
   * no caller to report to: an error there ends the association instead of reaching the process.
   */
  #guarded(work: () => void): () => void {
    return () => {
      try {
        work();
      } catch (error) {
        const kind = error instanceof Error ? error.name : 'non-error';
        this.config.owner.end(new SctpAssociationError(`internal error in the data path (${kind})`));
      }
    };
  }

  handle(chunk: Chunk): void {
    switch (chunk.type) {
      case ChunkType.DATA:
      case ChunkType.I_DATA:
        this.#handleData(chunk);
        return;
      case ChunkType.SACK:
        if (this.sender.handleSack(chunk, this.config.clock.now())) this.config.owner.clearErrors();
        return;
      case ChunkType.HEARTBEAT:
        // §8.3: the Heartbeat Info goes back unchanged.
        this.control.push({ type: ChunkType.HEARTBEAT_ACK, info: chunk.info });
        return;
      case ChunkType.HEARTBEAT_ACK:
        this.#handleHeartbeatAck(chunk, this.config.clock.now());
        return;
      case ChunkType.FORWARD_TSN:
      case ChunkType.I_FORWARD_TSN:
        if ((chunk.type === ChunkType.I_FORWARD_TSN) !== this.config.negotiated.interleaved) {
          throw new SctpAssociationError(
            'FORWARD-TSN kind does not match the negotiated DATA kind',
            ErrorCauseCode.PROTOCOL_VIOLATION,
          );
        }
        this.receiver.handleForwardTsn(chunk);
        return;
      case ChunkType.RE_CONFIG:
        this.resetter.handle(chunk);
        return;
      case ChunkType.SHUTDOWN:
        this.#handleShutdown(chunk.cumulativeTsnAck, this.config.clock.now());
        return;
      case ChunkType.SHUTDOWN_ACK:
        this.#handleShutdownAck();
        return;
      default:
        // INIT ACK, COOKIE ACK and the like after establishment are stale duplicates (§5.2.3, §5.2.5).
        return;
    }
  }

  #handleData(chunk: DataChunk): void {
    // RFC 8260 §2.1: mixing DATA and I-DATA is a protocol violation.
    if ((chunk.type === ChunkType.I_DATA) !== this.config.negotiated.interleaved) {
      throw new SctpAssociationError(
        'DATA kind does not match the negotiated one',
        ErrorCauseCode.PROTOCOL_VIOLATION,
      );
    }
    if (chunk.payload.length === 0) {
      throw new SctpAssociationError('DATA chunk without user data', ErrorCauseCode.NO_USER_DATA);
    }
    if (chunk.streamId >= this.config.negotiated.inboundStreams) {
      // §6.5: report the invalid stream; the TSN still counts as received.
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint16(0, chunk.streamId);
      this.control.push({
        type: ChunkType.ERROR,
        causes: [{ code: ErrorCauseCode.INVALID_STREAM_IDENTIFIER, body }],
      });
      if (!this.receiver.tracker.has(chunk.tsn)) this.receiver.tracker.add(chunk.tsn);
      this.receiver.requestSack();
      return;
    }
    this.receiver.handleData(chunk);
  }

  /** Runs after every received packet: decide on the SACK, finish deferred resets, send what is due. */
  afterPacket(): void {
    if (this.#disposed) return;
    this.receiver.afterPacket();
    this.resetter.afterReceive();
    this.flush();
  }

  flush(): void {
    this.#flushScheduled = false;
    if (this.#disposed) return;
    const { clock, negotiated, owner, peer, localPort, remotePort } = this.config;
    const now = clock.now();
    const state = owner.state();
    const dataAllowed =
      state === 'established' || state === 'shutdown-pending' || state === 'shutdown-received';
    const builder = this.#builder;
    const receiver = this.receiver;
    const sender = this.sender;
    // §6.1 D: Max.Burst new packets per event, beyond those that replace what a SACK just acknowledged:
    // the packets of a burst are acknowledged together (see DataReceiver), and sending only Max.Burst
    // for a SACK of up to 16 would shrink the flight with every round trip.
    const ackedPackets = Math.ceil(sender.takeAckedBytes() / this.queue.maxPayload);
    const maxBurst =
      this.config.maxBurst > 0 ? this.config.maxBurst + ackedPackets : Number.POSITIVE_INFINITY;
    let burst = 0;
    for (;;) {
      builder.begin(localPort, remotePort, peer.tag);
      const sendingData = dataAllowed && burst < maxBurst && sender.canSend;
      if (receiver.sackDue || (receiver.sackPending && (sendingData || this.control.length > 0))) {
        builder.add(receiver.takeSack());
      }
      while (this.control.length > 0) {
        const next = this.control[0]!;
        if (!builder.fits(chunkLength(next))) {
          if (builder.empty) this.control.shift();
          break;
        }
        builder.add(next);
        this.control.shift();
      }
      const forwardTsn = sender.takeForwardTsn(now);
      if (forwardTsn && builder.fits(chunkLength(forwardTsn))) builder.add(forwardTsn);
      // A RE-CONFIG that no longer fits behind the SACK and control chunks opens the next packet.
      const reconfig = this.#unsentReconfig ?? this.resetter.take();
      this.#unsentReconfig = undefined;
      if (reconfig && builder.fits(chunkLength(reconfig))) builder.add(reconfig);
      else if (reconfig && !builder.empty) this.#unsentReconfig = reconfig;
      // §6.1 Max.Burst: the rest waits for the next SACK, which keeps the sending ack-clocked.
      if (dataAllowed && burst < maxBurst && sender.fillPacket(builder, now)) burst++;
      if (builder.empty) break;
      if (!this.#transmit(builder.finish(negotiated.sendZeroChecksum)) || this.#disposed) return;
    }
    const changed = this.queue.changed;
    if (changed.size > 0) {
      for (const streamId of changed)
        owner.bufferedAmountChanged(streamId, this.queue.bufferedAmount(streamId));
      changed.clear();
    }
    this.#progressShutdown();
  }

  #sendNow(chunk: Chunk): void {
    const builder = this.#builder;
    builder.begin(this.config.localPort, this.config.remotePort, this.config.peer.tag);
    if (this.receiver.sackPending) builder.add(this.receiver.takeSack());
    builder.add(chunk);
    this.#transmit(builder.finish(this.config.negotiated.sendZeroChecksum));
  }

  /** Hands a packet to the transport; a transport that throws (closed DTLS) ends the association. */
  #transmit(packet: Uint8Array): boolean {
    try {
      this.config.transport.send(packet);
      return true;
    } catch (error) {
      this.config.owner.end(
        new SctpAssociationError(`transport failed: ${(error as Error).message ?? error}`),
      );
      return false;
    }
  }

  /** §9.2: SHUTDOWN (or SHUTDOWN ACK) goes once everything queued has been acknowledged. */
  #progressShutdown(): void {
    const owner = this.config.owner;
    const state = owner.state();
    if (!this.sender.idle) return;
    if (state === 'shutdown-pending') {
      owner.setState('shutdown-sent');
      this.#t2Rto = this.sender.rto.rto;
      this.#sendShutdown();
    } else if (state === 'shutdown-received') {
      owner.setState('shutdown-ack-sent');
      this.#t2Rto = this.sender.rto.rto;
      this.#sendNow({ type: ChunkType.SHUTDOWN_ACK });
      this.#t2.start(this.#t2Rto);
    }
  }

  #sendShutdown(): void {
    this.#sendNow({ type: ChunkType.SHUTDOWN, cumulativeTsnAck: this.receiver.tracker.cumulativeTsn });
    this.#t2.start(this.#t2Rto);
  }

  #onT2(): void {
    if (this.#disposed || !this.config.owner.countError()) return;
    // §9.2: T2-shutdown backs off like T3-rtx.
    this.#t2Rto = Math.min(this.#t2Rto * 2, this.config.rto.maxMs);
    const state = this.config.owner.state();
    if (state === 'shutdown-sent') this.#sendShutdown();
    else if (state === 'shutdown-ack-sent') {
      this.#sendNow({ type: ChunkType.SHUTDOWN_ACK });
      this.#t2.start(this.#t2Rto);
    }
  }

  #handleShutdown(cumulativeTsnAck: number, now: number): void {
    const owner = this.config.owner;
    // The SHUTDOWN's cumulative TSN ack counts as a SACK without gap reports (§9.2), but is no renege.
    this.sender.handleSack(
      {
        type: ChunkType.SACK,
        cumulativeTsnAck,
        advertisedWindow: this.sender.peerWindow + this.sender.flightSize,
        gapBlocks: [],
        duplicateTsns: [],
      },
      now,
      false,
    );
    const state = owner.state();
    if (state === 'established' || state === 'shutdown-pending') {
      owner.setState('shutdown-received');
      this.receiver.requestSack();
    } else if (state === 'shutdown-sent') {
      // §9.2: SHUTDOWN crossing ours: answer with SHUTDOWN ACK.
      owner.setState('shutdown-ack-sent');
      this.#sendNow({ type: ChunkType.SHUTDOWN_ACK });
      this.#t2.start(this.#t2Rto);
    }
  }

  #handleShutdownAck(): void {
    const owner = this.config.owner;
    const state = owner.state();
    if (state !== 'shutdown-sent' && state !== 'shutdown-ack-sent') return;
    this.#sendNow({ type: ChunkType.SHUTDOWN_COMPLETE, reflectedTag: false });
    owner.end();
  }

  #onT3(): void {
    if (this.#disposed || !this.config.owner.countError()) return;
    this.sender.handleT3Expiry(this.config.clock.now());
    this.flush();
  }

  #onReconfigTimer(): void {
    if (this.#disposed || !this.config.owner.countError()) return;
    if (this.resetter.retransmit()) this.flush();
  }

  #armHeartbeat(): void {
    // §8.3: HB.interval plus the RTO, jittered by ±50% of the RTO.
    const rto = this.sender.rto.rto;
    this.#heartbeat.start(this.config.heartbeatIntervalMs + rto * (0.5 + Math.random()));
  }

  #onHeartbeat(): void {
    if (this.#disposed) return;
    if (this.#heartbeatNonce) {
      this.#heartbeatNonce = undefined;
      if (!this.config.owner.countError()) return;
      this.sender.rto = rtoAfterBackoff(this.sender.rto, this.config.rto);
    }
    // A path with data in flight is not idle: T3-rtx watches it already.
    if (this.sender.outstandingCount === 0) {
      const info = new Uint8Array(HEARTBEAT_INFO_LENGTH);
      info.set(randomBytes(8));
      new DataView(info.buffer).setFloat64(8, this.config.clock.now());
      this.#heartbeatNonce = info.subarray(0, 8);
      this.control.push({ type: ChunkType.HEARTBEAT, info });
      this.flush();
    }
    this.#armHeartbeat();
  }

  #handleHeartbeatAck(chunk: HeartbeatChunk, now: number): void {
    const nonce = this.#heartbeatNonce;
    if (!nonce || chunk.info.length !== HEARTBEAT_INFO_LENGTH) return;
    for (let i = 0; i < nonce.length; i++) if (chunk.info[i] !== nonce[i]) return;
    this.#heartbeatNonce = undefined;
    const sentAt = new DataView(chunk.info.buffer, chunk.info.byteOffset, HEARTBEAT_INFO_LENGTH).getFloat64(
      8,
    );
    this.sender.measureRtt(Math.max(0, now - sentAt));
    this.config.owner.clearErrors();
  }

  dispose(): void {
    this.#disposed = true;
    this.#t3.dispose();
    this.#delayedAck.dispose();
    this.#heartbeat.dispose();
    this.#reconfig.dispose();
    this.#t2.dispose();
  }
}
