import { ChunkType, type DataChunk } from './chunks/types.ts';

/** Per-message delivery options (RFC 8831 §6.1 reliability settings, RFC 3758 PR-SCTP). */
export interface SendOptions {
  unordered?: boolean;
  /** PR-SCTP "limited retransmissions": abandon after this many retransmissions. */
  maxRetransmits?: number;
  /** PR-SCTP "timed reliability": abandon when not acknowledged within this many milliseconds. */
  maxPacketLifeTimeMs?: number;
}

export class OutgoingMessage {
  /** Bytes of `data` already cut into chunks. */
  offset = 0;
  /** SSN or MID, assigned when the first fragment leaves (so a never-sent message leaves no hole). */
  sequence = -1;
  nextFragment = 0;
  abandoned = false;

  constructor(
    readonly streamId: number,
    readonly ppid: number,
    readonly data: Uint8Array,
    readonly unordered: boolean,
    readonly maxRetransmits: number | undefined,
    readonly expiresAt: number | undefined,
    /** Whether the bytes count toward the stream's bufferedAmount (user data, not DCEP). */
    readonly counted: boolean,
  ) {}
}

/** A DATA or I-DATA chunk from its first transmission until acknowledged or abandoned. */
export class OutboundChunk implements DataChunk {
  tsn = 0;
  immediate = false;
  sentAt = 0;
  transmissions = 0;
  acked = false;
  abandoned = false;
  missIndications = 0;
  /** Marked by T3-rtx or fast retransmit; counts out of the flight until sent again. */
  retransmit = false;
  fastRetransmitted = false;

  constructor(
    readonly type: typeof ChunkType.DATA | typeof ChunkType.I_DATA,
    readonly message: OutgoingMessage,
    readonly payload: Uint8Array,
    readonly beginning: boolean,
    readonly ending: boolean,
    readonly fragment: number,
  ) {}

  get unordered(): boolean {
    return this.message.unordered;
  }
  get streamId(): number {
    return this.message.streamId;
  }
  get sequence(): number {
    return this.message.sequence;
  }
  get ppid(): number {
    return this.message.ppid;
  }
}

class OutboundStream {
  readonly queue: OutgoingMessage[] = [];
  head = 0;
  bufferedAmount = 0;
  nextOrdered = 0;
  nextUnordered = 0;
  scheduled = false;

  constructor(readonly id: number) {}

  get front(): OutgoingMessage | undefined {
    return this.queue[this.head];
  }

  shift(): void {
    this.head++;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Smallest fragment worth cutting to fill the end of a packet; below it the packet goes as it is. */
const MIN_FRAGMENT = 256;

/**
 * Messages waiting for their first transmission, one FIFO per stream with round-robin between streams.
 * With DATA a started message keeps the sender until its last fragment (RFC 9260 §6.9: fragments take
 * consecutive TSNs); with I-DATA (RFC 8260) streams take turns per fragment, so a large message never
 * holds back small ones on other streams.
 */
export class SendQueue {
  readonly #streams = new Map<number, OutboundStream>();
  #ring: OutboundStream[] = [];
  #turn = 0;
  /** DATA only: the stream whose message is part-way through fragmentation. */
  #current: OutboundStream | undefined;
  /** Streams whose bufferedAmount went down since the last `takeChanged`. */
  readonly changed = new Set<number>();
  #messages = 0;

  constructor(
    readonly interleaved: boolean,
    readonly maxPayload: number,
  ) {}

  get empty(): boolean {
    return this.#messages === 0;
  }

  #stream(streamId: number): OutboundStream {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      stream = new OutboundStream(streamId);
      this.#streams.set(streamId, stream);
    }
    return stream;
  }

  enqueue(message: OutgoingMessage): void {
    const stream = this.#stream(message.streamId);
    stream.queue.push(message);
    if (message.counted) stream.bufferedAmount += message.data.length;
    this.#messages++;
    if (!stream.scheduled) {
      stream.scheduled = true;
      this.#ring.push(stream);
    }
  }

  bufferedAmount(streamId: number): number {
    return this.#streams.get(streamId)?.bufferedAmount ?? 0;
  }

  /** Whether the stream still has bytes that were never sent (RFC 6525 waits for them before a reset). */
  hasPending(streamId: number): boolean {
    const stream = this.#streams.get(streamId);
    return stream !== undefined && stream.front !== undefined;
  }

  /** RFC 6525 §5.1.2: after an outgoing reset the stream's SSN (or MIDs) start again at zero. */
  resetSequences(streamId: number): void {
    const stream = this.#streams.get(streamId);
    if (stream) {
      stream.nextOrdered = 0;
      stream.nextUnordered = 0;
    }
  }

  /**
   * Cuts the next chunk of at most `room` payload bytes, or returns undefined when nothing fits or is
   * queued. Messages whose lifetime ran out before their first byte left are dropped here (RFC 3758 §3.5).
   */
  next(room: number, now: number): OutboundChunk | undefined {
    const limit = Math.min(room, this.maxPayload);
    for (;;) {
      const stream = this.#current ?? this.#ring[this.#turn % Math.max(1, this.#ring.length)];
      if (!stream) return undefined;
      const message = stream.front;
      if (!message) {
        this.#unschedule(stream);
        continue;
      }
      if (message.offset === 0 && message.expiresAt !== undefined && now >= message.expiresAt) {
        this.#finishMessage(stream, message);
        continue;
      }
      const remaining = message.data.length - message.offset;
      if (remaining > limit && limit < Math.min(MIN_FRAGMENT, this.maxPayload)) return undefined;
      return this.#cut(stream, message, Math.min(remaining, limit));
    }
  }

  #cut(stream: OutboundStream, message: OutgoingMessage, size: number): OutboundChunk {
    const beginning = message.offset === 0;
    if (beginning) {
      if (!message.unordered) {
        message.sequence = stream.nextOrdered;
        stream.nextOrdered = this.interleaved
          ? (stream.nextOrdered + 1) >>> 0
          : (stream.nextOrdered + 1) & 0xffff;
      } else if (this.interleaved) {
        message.sequence = stream.nextUnordered;
        stream.nextUnordered = (stream.nextUnordered + 1) >>> 0;
      } else {
        message.sequence = 0;
      }
    }
    const end = message.offset + size;
    const chunk = new OutboundChunk(
      this.interleaved ? ChunkType.I_DATA : ChunkType.DATA,
      message,
      message.data.subarray(message.offset, end),
      beginning,
      end >= message.data.length,
      message.nextFragment++,
    );
    message.offset = end;
    if (message.counted) {
      stream.bufferedAmount -= chunk.payload.length;
      this.changed.add(stream.id);
    }
    if (chunk.ending) {
      stream.shift();
      this.#messages--;
      this.#current = undefined;
      this.#turn++;
    } else if (this.interleaved) {
      this.#turn++;
    } else {
      this.#current = stream;
    }
    return chunk;
  }

  /** Drops what is left of an abandoned message (RFC 3758 §3.5: its unsent fragments are abandoned too). */
  abandon(message: OutgoingMessage): void {
    message.abandoned = true;
    const stream = this.#streams.get(message.streamId);
    if (stream && stream.front === message) this.#finishMessage(stream, message);
  }

  #finishMessage(stream: OutboundStream, message: OutgoingMessage): void {
    if (message.counted) {
      stream.bufferedAmount -= message.data.length - message.offset;
      this.changed.add(stream.id);
    }
    message.offset = message.data.length;
    stream.shift();
    this.#messages--;
    if (this.#current === stream) this.#current = undefined;
  }

  #unschedule(stream: OutboundStream): void {
    stream.scheduled = false;
    const index = this.#ring.indexOf(stream);
    if (index >= 0) this.#ring.splice(index, 1);
    if (this.#current === stream) this.#current = undefined;
  }
}
