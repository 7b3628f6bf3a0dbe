import { type Clock, randomUint32, systemClock, TruncatedInputError } from '../util/index.ts';
import { type DecodedChunk, isUnknownChunk } from './chunks/codec.ts';
import {
  type AbortChunk,
  type Chunk,
  ChunkType,
  type CookieEchoChunk,
  ErrorCauseCode,
  type InitChunk,
  type UnknownChunk,
} from './chunks/types.ts';
import { CookieSigner } from './cookie.ts';
import { DataPath, type DataPathOwner } from './data-path.ts';
import { SctpAssociationError, SctpDecodeError } from './errors.ts';
import {
  cookieContents,
  type LocalParameters,
  localInitChunk,
  type Negotiated,
  negotiate,
  type PeerParameters,
  peerFromCookie,
  peerFromInit,
} from './handshake.ts';
import {
  type AssociationState,
  type ResolvedOptions,
  resolveOptions,
  type SctpAssociationHandlers,
  type SctpAssociationOptions,
  type SctpTransport,
} from './options.ts';
import { decodePacket, encodePacket } from './packet.ts';
import { initialRtoState } from './rto.ts';
import type { SendOptions } from './send-queue.ts';
import { ProtocolTimer } from './timer.ts';

/**
 * One SCTP association (RFC 9260) over a packet transport: the four-way handshake with a signed state
 * cookie, data transfer through DataPath, heartbeats, stream reset, SHUTDOWN and ABORT. Every timer
 * runs on the injected clock.
 */
export class SctpAssociation {
  handlers: SctpAssociationHandlers = {};
  #state: AssociationState = 'closed';
  #ended = false;
  readonly #transport: SctpTransport;
  readonly #clock: Clock;
  readonly #options: ResolvedOptions;
  readonly #local: LocalParameters;
  readonly #signer = new CookieSigner();
  #peer: PeerParameters | undefined;
  #negotiated: Negotiated | undefined;
  #data: DataPath | undefined;
  #initChunk: InitChunk | undefined;
  #cookieEcho: CookieEchoChunk | undefined;
  #initRto = 0;
  #initAttempts = 0;
  #errorCount = 0;
  #staleCookies = 0;
  readonly #t1Init: ProtocolTimer;
  readonly #t1Cookie: ProtocolTimer;

  constructor(options: SctpAssociationOptions) {
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.#local = {
      // RFC 9260 §5.3.1: tags and initial TSN are random; a tag is never zero.
      tag: nonZeroRandomTag(),
      initialTsn: options.initialTsn === undefined ? randomUint32() : options.initialTsn >>> 0,
      receiveWindow: resolved.receiveWindow,
      streams: resolved.streams,
      interleaving: resolved.interleaving,
      zeroChecksum: resolved.zeroChecksum,
    };
    this.#t1Init = new ProtocolTimer('T1-init', this.#clock, () => this.#onT1Init());
    this.#t1Cookie = new ProtocolTimer('T1-cookie', this.#clock, () => this.#onT1Cookie());
  }

  get state(): AssociationState {
    return this.#state;
  }

  /** What both ends agreed on; undefined before the association is established. */
  get negotiated(): Readonly<Negotiated> | undefined {
    return this.#negotiated;
  }

  get maxMessageSize(): number {
    return this.#options.remoteMaxMessageSize;
  }

  /** The largest message we accept (our own max-message-size, RFC 8841 §6). */
  get maxReceivedMessageSize(): number {
    return this.#options.maxMessageSize;
  }

  /**
   * What the session descriptions say of the peer (RFC 8841): its SCTP port, which must be known before
   * the association starts, and its max-message-size, which a renegotiation may change.
   */
  setRemoteParameters(parameters: { port?: number; maxMessageSize?: number }): void {
    if (parameters.port !== undefined && parameters.port !== this.#options.remotePort) {
      if (this.#state !== 'closed')
        throw new SctpAssociationError('the remote SCTP port is fixed once started');
      this.#options.remotePort = parameters.port;
    }
    if (parameters.maxMessageSize !== undefined)
      this.#options.remoteMaxMessageSize = parameters.maxMessageSize;
  }

  /** The current retransmission timeout and smoothed RTT (RFC 9260 §6.3.1). */
  get rto(): { rto: number; srtt: number | undefined } {
    const state = this.#data?.sender.rto ?? initialRtoState(this.#options.rto);
    return { rto: state.rto, srtt: state.srtt };
  }

  /** Congestion window, slow-start threshold and bytes in flight, for stats and tests. */
  get congestion(): { cwnd: number; ssthresh: number; flightSize: number; peerWindow: number } | undefined {
    const sender = this.#data?.sender;
    if (!sender) return undefined;
    return {
      cwnd: sender.congestion.cwnd,
      ssthresh: sender.congestion.ssthresh,
      flightSize: sender.flightSize,
      peerWindow: sender.peerWindow,
    };
  }

  /** Starts the handshake by sending INIT (§5.1 step A). Both WebRTC peers may do so at once (§5.2.1). */
  connect(): void {
    if (this.#state !== 'closed' || this.#ended)
      throw new SctpAssociationError('association already started');
    this.#initChunk = localInitChunk(this.#local, ChunkType.INIT);
    this.#state = 'cookie-wait';
    this.#initRto = this.#options.rto.initialMs;
    this.#initAttempts = 0;
    this.#sendInit();
  }

  #sendInit(): void {
    this.#sendPacket(0, [this.#initChunk!]);
    this.#t1Init.start(this.#initRto);
  }

  #onT1Init(): void {
    if (this.#state !== 'cookie-wait') return;
    if (++this.#initAttempts > this.#options.maxInitRetransmits) {
      this.#end(new SctpAssociationError('no answer to INIT (Max.Init.Retransmits reached)'));
      return;
    }
    this.#initRto = Math.min(this.#initRto * 2, this.#options.rto.maxMs);
    this.#sendInit();
  }

  #onT1Cookie(): void {
    if (this.#state !== 'cookie-echoed' || !this.#cookieEcho || !this.#peer) return;
    if (++this.#initAttempts > this.#options.maxInitRetransmits) {
      this.#end(new SctpAssociationError('no answer to COOKIE ECHO (Max.Init.Retransmits reached)'));
      return;
    }
    this.#initRto = Math.min(this.#initRto * 2, this.#options.rto.maxMs);
    this.#sendPacket(this.#peer.tag, [this.#cookieEcho]);
    this.#t1Cookie.start(this.#initRto);
  }

  /**
   * Queues one message. Throws when the association cannot take data, the message is empty (§6.2 has no
   * empty DATA; RFC 8831 sends one byte instead) or larger than the peer's max message size.
   */
  send(
    streamId: number,
    ppid: number,
    data: Uint8Array,
    options: SendOptions = {},
    countsAsBuffered = true,
  ): void {
    if (this.#state !== 'established' || !this.#data) {
      throw new SctpAssociationError(`cannot send in state ${this.#state}`);
    }
    if (data.length === 0) throw new RangeError('SCTP cannot carry an empty message');
    if (data.length > this.#options.remoteMaxMessageSize) {
      throw new RangeError(
        `message of ${data.length} bytes exceeds the max message size ${this.maxMessageSize}`,
      );
    }
    if (streamId >= this.#negotiated!.outboundStreams) {
      throw new RangeError(
        `stream ${streamId} beyond the ${this.#negotiated!.outboundStreams} outbound streams`,
      );
    }
    this.#data.enqueue(streamId, ppid, data, options, countsAsBuffered);
  }

  /** Bytes queued on the stream that have not been put in a packet yet. */
  bufferedAmount(streamId: number): number {
    return this.#data?.queue.bufferedAmount(streamId) ?? 0;
  }

  /** Resets the outgoing side of streams (RFC 6525), once their queued data has been sent. */
  resetStreams(streamIds: number[]): void {
    if (!this.#data) throw new SctpAssociationError(`cannot reset streams in state ${this.#state}`);
    this.#data.resetStreams(streamIds);
  }

  /** Web Streams backpressure: delivered bytes not yet consumed keep the advertised window closed. */
  holdReceived(bytes: number): void {
    if (this.#data) this.#data.receiver.heldByApplication += bytes;
  }

  releaseReceived(bytes: number): void {
    if (!this.#data) return;
    this.#data.receiver.release(bytes);
    if (this.#data.receiver.sackDue) this.#data.scheduleFlush();
  }

  /** Graceful close (§9.2): queued data is delivered first, then SHUTDOWN. */
  shutdown(): void {
    if (this.#state === 'established') {
      this.#state = 'shutdown-pending';
      this.#data?.scheduleFlush();
    } else if (this.#state === 'cookie-wait' || this.#state === 'cookie-echoed' || this.#state === 'closed') {
      this.#end();
    }
  }

  /** Ends the association at once with ABORT (§9.1). */
  abort(reason = 'aborted by the application'): void {
    if (this.#ended) return;
    if (this.#peer) {
      this.#sendPacket(this.#peer.tag, [
        {
          type: ChunkType.ABORT,
          reflectedTag: false,
          causes: [{ code: ErrorCauseCode.USER_INITIATED_ABORT, body: new TextEncoder().encode(reason) }],
        },
      ]);
    }
    this.#end(new SctpAssociationError(reason, ErrorCauseCode.USER_INITIATED_ABORT));
  }

  /** Feeds one packet received from the transport. The association keeps views into it. */
  receive(packet: Uint8Array): void {
    let decoded: ReturnType<typeof decodePacket>;
    try {
      decoded = decodePacket(packet, { acceptZeroChecksum: this.#local.zeroChecksum });
    } catch (error) {
      // §6.8: packets with a bad checksum or malformed chunks are discarded silently.
      if (error instanceof SctpDecodeError || error instanceof TruncatedInputError) return;
      throw error;
    }
    if (
      decoded.destinationPort !== this.#options.localPort ||
      decoded.sourcePort !== this.#options.remotePort
    )
      return;
    if (this.#ended) {
      this.#outOfTheBlue(decoded.verificationTag, decoded.chunks);
      return;
    }
    try {
      this.#dispatch(decoded.verificationTag, decoded.chunks);
    } catch (error) {
      if (error instanceof SctpAssociationError) {
        this.#abortWith(error);
        return;
      }
      throw error;
    }
    this.#data?.afterPacket();
  }

  #dispatch(tag: number, chunks: DecodedChunk[]): void {
    const first = chunks[0]!;
    if (first.type === ChunkType.INIT) {
      // §8.5.1 A and §6.10: INIT travels alone with tag 0.
      if (tag === 0 && chunks.length === 1) this.#handleInit(first as InitChunk);
      return;
    }
    for (const chunk of chunks) {
      if (this.#ended) return;
      if (!this.#tagAccepted(tag, chunk)) return;
      if (isUnknownChunk(chunk)) {
        if (!this.#handleUnknown(chunk)) return;
        continue;
      }
      this.#handleChunk(chunk);
    }
  }

  /**
   * §8.4: a packet for an association that has ended. A SHUTDOWN ACK gets SHUTDOWN COMPLETE, most other
   * packets an ABORT, both with the T bit and the packet's own tag, so a peer that missed our ABORT or
   * SHUTDOWN COMPLETE stops retransmitting at once.
   */
  #outOfTheBlue(tag: number, chunks: DecodedChunk[]): void {
    const silent: number[] = [
      ChunkType.INIT,
      ChunkType.ABORT,
      ChunkType.SHUTDOWN_COMPLETE,
      ChunkType.COOKIE_ACK,
      ChunkType.COOKIE_ECHO,
      ChunkType.ERROR,
    ];
    if (chunks.some((chunk) => silent.includes(chunk.type))) return;
    const reply: Chunk = chunks.some((chunk) => chunk.type === ChunkType.SHUTDOWN_ACK)
      ? { type: ChunkType.SHUTDOWN_COMPLETE, reflectedTag: true }
      : { type: ChunkType.ABORT, reflectedTag: true, causes: [] };
    this.#sendPacket(tag, [reply]);
  }

  /** §8.5 and §8.5.1: which verification tag each chunk must carry. */
  #tagAccepted(tag: number, chunk: DecodedChunk): boolean {
    if (chunk.type === ChunkType.ABORT || chunk.type === ChunkType.SHUTDOWN_COMPLETE) {
      const reflected = (chunk as AbortChunk).reflectedTag;
      return reflected ? this.#peer !== undefined && tag === this.#peer.tag : tag === this.#local.tag;
    }
    return tag === this.#local.tag;
  }

  /** §3.2: the top two bits of an unknown chunk type say whether to go on and whether to report it. */
  #handleUnknown(chunk: UnknownChunk): boolean {
    if (chunk.type & 0x40 && this.#data) {
      const body = new Uint8Array(4 + chunk.value.length);
      const view = new DataView(body.buffer);
      view.setUint8(0, chunk.type);
      view.setUint8(1, chunk.flags);
      view.setUint16(2, body.length);
      body.set(chunk.value, 4);
      this.#data.control.push({
        type: ChunkType.ERROR,
        causes: [{ code: ErrorCauseCode.UNRECOGNIZED_CHUNK_TYPE, body }],
      });
      this.#data.scheduleFlush();
    }
    return (chunk.type & 0x80) !== 0;
  }

  #handleChunk(chunk: Chunk): void {
    switch (chunk.type) {
      case ChunkType.INIT_ACK:
        this.#handleInitAck(chunk);
        return;
      case ChunkType.COOKIE_ECHO:
        this.#handleCookieEcho(chunk);
        return;
      case ChunkType.COOKIE_ACK:
        if (this.#state === 'cookie-echoed') {
          this.#t1Cookie.stop();
          this.#establish();
        }
        return;
      case ChunkType.ABORT:
        this.#handleAbort(chunk);
        return;
      case ChunkType.SHUTDOWN_COMPLETE:
        if (this.#state === 'shutdown-ack-sent') this.#end();
        return;
      case ChunkType.ERROR:
        this.#handleError(chunk.causes.map((cause) => cause.code));
        return;
      default:
        this.#data?.handle(chunk);
    }
  }

  /** §5.1 B and §5.2.1: INIT in CLOSED, COOKIE-WAIT or COOKIE-ECHOED is answered with INIT ACK and a cookie. */
  #handleInit(init: InitChunk): void {
    if (this.#state !== 'closed' && this.#state !== 'cookie-wait' && this.#state !== 'cookie-echoed') {
      // §5.2.2 would restart the association; WebRTC peers never restart one, so the INIT is ignored.
      return;
    }
    const peer = peerFromInit(init);
    const cookie = this.#signer.sign(cookieContents(this.#local, peer, this.#clock.now()));
    this.#sendPacket(peer.tag, [
      localInitChunk(this.#local, ChunkType.INIT_ACK, cookie, init.unrecognizedParameters),
    ]);
  }

  /** §5.1 C: INIT ACK in COOKIE-WAIT: echo the cookie. */
  #handleInitAck(initAck: InitChunk): void {
    if (this.#state !== 'cookie-wait') return;
    if (!initAck.stateCookie) {
      this.#abortWith(
        new SctpAssociationError(
          'INIT ACK without a state cookie',
          ErrorCauseCode.MISSING_MANDATORY_PARAMETER,
        ),
      );
      return;
    }
    this.#t1Init.stop();
    this.#peer = peerFromInit(initAck);
    this.#cookieEcho = { type: ChunkType.COOKIE_ECHO, cookie: initAck.stateCookie };
    this.#state = 'cookie-echoed';
    this.#initAttempts = 0;
    this.#sendPacket(this.#peer.tag, [this.#cookieEcho]);
    this.#t1Cookie.start(this.#initRto);
  }

  /** §5.1 D and the §5.2.4 table for COOKIE ECHO in other states. */
  #handleCookieEcho(echo: CookieEchoChunk): void {
    const contents = this.#signer.verify(echo.cookie);
    if (!contents || contents.localTag !== this.#local.tag) return;
    const age = this.#clock.now() - contents.createdAt;
    if (age > this.#options.cookieLifetimeMs) {
      // §5.2.6: Stale Cookie Error with the staleness in microseconds.
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(
        0,
        Math.min(0xffffffff, Math.round((age - this.#options.cookieLifetimeMs) * 1000)),
      );
      this.#sendPacket(contents.peerTag, [
        { type: ChunkType.ERROR, causes: [{ code: ErrorCauseCode.STALE_COOKIE, body }] },
      ]);
      return;
    }
    const peer = peerFromCookie(contents);
    if (this.#data) {
      // §5.2.4 D: a repeated COOKIE ECHO of this association gets another COOKIE ACK.
      if (this.#peer?.tag === peer.tag) this.#sendPacket(peer.tag, [{ type: ChunkType.COOKIE_ACK }]);
      return;
    }
    // CLOSED (§5.1 D) or an INIT collision (§5.2.4 B and D): the cookie's parameters make the TCB.
    this.#t1Init.stop();
    this.#t1Cookie.stop();
    this.#peer = peer;
    this.#sendPacket(peer.tag, [{ type: ChunkType.COOKIE_ACK }]);
    this.#establish();
  }

  #establish(): void {
    const peer = this.#peer!;
    this.#negotiated = negotiate(this.#local, peer);
    this.#state = 'established';
    this.#errorCount = 0;
    this.#data = new DataPath({
      clock: this.#clock,
      transport: this.#transport,
      owner: this.#owner(),
      local: this.#local,
      peer,
      negotiated: this.#negotiated,
      maxPacketSize: this.#options.maxPacketSize,
      maxMessageSize: this.#options.maxMessageSize,
      rto: this.#options.rto,
      delayedAckMs: this.#options.delayedAckMs,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      maxBurst: this.#options.maxBurst,
      localPort: this.#options.localPort,
      remotePort: this.#options.remotePort,
    });
    this.handlers.onOpen?.();
  }

  #handleAbort(chunk: AbortChunk): void {
    const cause = chunk.causes[0];
    const detail = cause ? `cause ${cause.code}` : 'no cause given';
    this.#end(new SctpAssociationError(`peer aborted the association (${detail})`, cause?.code));
  }

  #handleError(codes: number[]): void {
    // §5.2.6: a stale cookie restarts the handshake with a fresh INIT.
    // Restarts are counted, so a path too slow for the peer's cookie life ends the attempt.
    if (codes.includes(ErrorCauseCode.STALE_COOKIE) && this.#state === 'cookie-echoed') {
      this.#t1Cookie.stop();
      if (++this.#staleCookies > this.#options.maxInitRetransmits) {
        this.#end(new SctpAssociationError('state cookies keep arriving stale', ErrorCauseCode.STALE_COOKIE));
        return;
      }
      this.#peer = undefined;
      this.#state = 'cookie-wait';
      this.#sendInit();
    }
  }

  /** The narrow interface through which the data path moves state and raises events. */
  #owner(): DataPathOwner {
    return {
      state: () => this.#state,
      setState: (state) => {
        this.#state = state;
      },
      countError: () => {
        // §8.1: too many consecutive errors mean the peer is unreachable.
        if (++this.#errorCount > this.#options.maxAssociationRetransmits) {
          this.#end(new SctpAssociationError('peer unreachable (Association.Max.Retrans reached)'));
          return false;
        }
        return true;
      },
      clearErrors: () => {
        this.#errorCount = 0;
      },
      end: (error) => this.#end(error),
      deliver: (streamId, ppid, data, unordered) =>
        this.handlers.onMessage?.(streamId, ppid, data, unordered),
      bufferedAmountChanged: (streamId, amount) => this.handlers.onBufferedAmount?.(streamId, amount),
      streamsReset: (streamIds, direction, succeeded) =>
        this.handlers.onStreamsReset?.(streamIds, direction, succeeded),
    };
  }

  #abortWith(error: SctpAssociationError): void {
    if (this.#peer && !this.#ended) {
      const cause = error.causeCode ?? ErrorCauseCode.PROTOCOL_VIOLATION;
      this.#sendPacket(this.#peer.tag, [
        {
          type: ChunkType.ABORT,
          reflectedTag: false,
          causes: [{ code: cause, body: new TextEncoder().encode(error.message) }],
        },
      ]);
    }
    this.#end(error);
  }

  #sendPacket(tag: number, chunks: Chunk[]): void {
    const zero =
      this.#negotiated?.sendZeroChecksum === true && chunks.every((chunk) => chunk.type !== ChunkType.INIT);
    const packet = encodePacket(
      {
        sourcePort: this.#options.localPort,
        destinationPort: this.#options.remotePort,
        verificationTag: tag,
      },
      chunks,
      { zeroChecksum: zero },
    );
    try {
      this.#transport.send(packet);
    } catch (error) {
      // A closed transport ends the association, once the handler that was sending has finished.
      const failure = new SctpAssociationError(`transport failed: ${(error as Error).message}`);
      queueMicrotask(() => this.#end(failure));
    }
  }

  #end(error?: SctpAssociationError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#state = 'closed';
    this.#t1Init.dispose();
    this.#t1Cookie.dispose();
    this.#data?.dispose();
    this.handlers.onClose?.(error);
  }
}

function nonZeroRandomTag(): number {
  let tag = randomUint32();
  while (tag === 0) tag = randomUint32();
  return tag;
}
