import { Ppid } from './dcep.ts';
import { RTCError, RTCErrorEvent } from './errors.ts';
import { type ChannelReadable, createReadable, createWritable } from './streams.ts';

export type RTCDataChannelState = 'connecting' | 'open' | 'closing' | 'closed';
export type RTCPriorityType = 'very-low' | 'low' | 'medium' | 'high';
export type BinaryType = 'arraybuffer' | 'blob';
export type DataChannelPayload = string | ArrayBuffer | ArrayBufferView | Blob;

export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
  priority?: RTCPriorityType;
}

/** What a channel needs from the data channel transport underneath. */
export interface ChannelBackend {
  /** Queues one message on the channel's stream with its reliability settings. */
  send(channel: RTCDataChannel, ppid: number, data: Uint8Array): void;
  bufferedAmount(id: number): number;
  maxMessageSize(): number;
  /** The largest message we accept; deprecated partial messages (RFC 8831 §6.6) are held up to it. */
  maxReceivedMessageSize(): number;
  /** Starts the closing procedure (RFC 8831 §6.7: reset the outgoing stream once its data is out). */
  close(channel: RTCDataChannel): void;
  holdReceived(bytes: number): void;
  releaseReceived(bytes: number): void;
}

const decoder = new TextDecoder();
const EMPTY_MESSAGE = Uint8Array.of(0);

/** Internal face of a channel, used by the transport only (not exported from the package). */
export const internals = Symbol('dyad.datachannel.internals');

export interface ChannelInternals {
  setId(id: number): void;
  /** readyState becomes open and `open` fires. */
  announceOpen(): void;
  /** readyState becomes open without the event (the transport dispatches it after `datachannel`). */
  markOpen(): void;
  deliver(ppid: number, data: Uint8Array): void;
  bufferedAmountChanged(amount: number): void;
  /** The peer reset its outgoing stream: fire `closing` (W3C §6.2 "announce closing"). */
  remoteClosing(): void;
  /** Both directions are reset, or the transport ended (`error` when it failed). */
  closed(error?: RTCError): void;
  /** DCEP ACK received: unordered sending may begin (RFC 8832 §6). */
  acknowledged: boolean;
  /** Messages and payload bytes given to send() and delivered (to events or `readable`), for getStats. */
  readonly counters: Readonly<ChannelCounters>;
}

/** webrtc-stats §7.9 (RTCDataChannelStats): payload only, without DCEP, SCTP or DTLS headers. */
export interface ChannelCounters {
  messagesSent: number;
  bytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
}

type Handler = ((this: RTCDataChannel, event: Event) => unknown) | null;

/** The W3C RTCDataChannel (WebRTC §6.2) on Dyad's SCTP association, with a Web Streams face. */
export class RTCDataChannel extends EventTarget {
  readonly label: string;
  readonly ordered: boolean;
  readonly maxPacketLifeTime: number | null;
  readonly maxRetransmits: number | null;
  readonly protocol: string;
  readonly negotiated: boolean;
  readonly priority: RTCPriorityType;
  #id: number | null;
  #readyState: RTCDataChannelState = 'connecting';
  // W3C §6.2: "blob" until the application asks for ArrayBuffers (which need no copy into a Blob).
  #binaryType: BinaryType = 'blob';
  #bufferedAmountLowThreshold = 0;
  #lastBufferedAmount = 0;
  #pendingBytes = 0;
  #sendChain: Promise<void> | undefined;
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  /** The pieces of the partial message in progress went past our max-message-size: it is dropped. */
  #partialTooLarge = false;
  readonly #backend: ChannelBackend;
  readonly #handlers = new Map<string, { handler: Handler; listener: (event: Event) => void }>();
  #readable: ChannelReadable | undefined;
  #writable: WritableStream<DataChannelPayload> | undefined;
  #drainWaiters: Array<{ below: number; resolve: () => void }> = [];
  readonly #counters: ChannelCounters = {
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
  };
  readonly [internals]: ChannelInternals;

  /** @internal Channels come from RTCPeerConnection.createDataChannel or the `datachannel` event. */
  constructor(label: string, init: RTCDataChannelInit, backend: ChannelBackend) {
    super();
    this.label = label;
    this.ordered = init.ordered ?? true;
    this.maxPacketLifeTime = init.maxPacketLifeTime ?? null;
    this.maxRetransmits = init.maxRetransmits ?? null;
    this.protocol = init.protocol ?? '';
    this.negotiated = init.negotiated ?? false;
    this.priority = init.priority ?? 'low';
    this.#id = init.id ?? null;
    this.#backend = backend;
    this[internals] = {
      setId: (id) => {
        this.#id = id;
      },
      announceOpen: () => {
        if (this.#readyState !== 'connecting') return;
        this.#readyState = 'open';
        this.dispatchEvent(new Event('open'));
      },
      markOpen: () => {
        if (this.#readyState === 'connecting') this.#readyState = 'open';
      },
      deliver: (ppid, data) => this.#deliver(ppid, data),
      bufferedAmountChanged: (amount) => this.#bufferedAmountChanged(amount),
      remoteClosing: () => {
        if (this.#readyState === 'open' || this.#readyState === 'connecting') {
          this.#readyState = 'closing';
          this.dispatchEvent(new Event('closing'));
        }
      },
      closed: (error) => this.#closed(error),
      acknowledged: this.negotiated,
      counters: this.#counters,
    };
  }

  get id(): number | null {
    return this.#id;
  }

  get readyState(): RTCDataChannelState {
    return this.#readyState;
  }

  /** Bytes given to send() that have not yet been put on the wire (W3C §6.2). */
  get bufferedAmount(): number {
    return this.#lastBufferedAmount;
  }

  get bufferedAmountLowThreshold(): number {
    return this.#bufferedAmountLowThreshold;
  }

  set bufferedAmountLowThreshold(value: number) {
    this.#bufferedAmountLowThreshold = Math.max(0, Math.min(0xffffffff, Math.trunc(Number(value)) || 0));
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value !== 'arraybuffer' && value !== 'blob') {
      throw new DOMException(`binaryType must be "arraybuffer" or "blob", not "${value}"`, 'SyntaxError');
    }
    this.#binaryType = value;
  }

  get onopen(): Handler {
    return this.#getHandler('open');
  }
  set onopen(handler: Handler) {
    this.#setHandler('open', handler);
  }
  get onmessage(): Handler {
    return this.#getHandler('message');
  }
  set onmessage(handler: Handler) {
    this.#setHandler('message', handler);
  }
  get onbufferedamountlow(): Handler {
    return this.#getHandler('bufferedamountlow');
  }
  set onbufferedamountlow(handler: Handler) {
    this.#setHandler('bufferedamountlow', handler);
  }
  get onerror(): Handler {
    return this.#getHandler('error');
  }
  set onerror(handler: Handler) {
    this.#setHandler('error', handler);
  }
  get onclosing(): Handler {
    return this.#getHandler('closing');
  }
  set onclosing(handler: Handler) {
    this.#setHandler('closing', handler);
  }
  get onclose(): Handler {
    return this.#getHandler('close');
  }
  set onclose(handler: Handler) {
    this.#setHandler('close', handler);
  }

  #getHandler(type: string): Handler {
    return this.#handlers.get(type)?.handler ?? null;
  }

  #setHandler(type: string, handler: Handler): void {
    const previous = this.#handlers.get(type);
    if (previous) this.removeEventListener(type, previous.listener);
    if (typeof handler !== 'function') {
      this.#handlers.delete(type);
      return;
    }
    const listener = (event: Event) => handler.call(this, event);
    this.#handlers.set(type, { handler, listener });
    this.addEventListener(type, listener);
  }

  /**
   * W3C §6.2 send(): throws InvalidStateError unless open, TypeError above the max message size.
   * Blobs are read asynchronously; later sends wait for them so the order holds.
   */
  send(data: DataChannelPayload): void {
    if (this.#readyState !== 'open') {
      throw new DOMException(`RTCDataChannel is ${this.#readyState}`, 'InvalidStateError');
    }
    const maxMessageSize = this.#backend.maxMessageSize();
    if (typeof Blob !== 'undefined' && data instanceof Blob) {
      if (data.size > maxMessageSize)
        throw new TypeError(`message of ${data.size} bytes exceeds ${maxMessageSize}`);
      this.#countSent(data.size);
      this.#sendLater(data.size, () => data.arrayBuffer().then((buffer) => new Uint8Array(buffer)), false);
      return;
    }
    let bytes: Uint8Array;
    let isString = false;
    if (typeof data === 'string') {
      // UTF-8 as TextEncoder writes it (lone surrogates become U+FFFD), into the pool for short strings.
      bytes = Buffer.from(data, 'utf8');
      isString = true;
    } else if (data instanceof ArrayBuffer) {
      bytes = new Uint8Array(data);
    } else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      throw new TypeError('send() takes a string, ArrayBuffer, ArrayBufferView or Blob');
    }
    if (bytes.length > maxMessageSize)
      throw new TypeError(`message of ${bytes.length} bytes exceeds ${maxMessageSize}`);
    // The caller may reuse its buffer after send() returns; the queue keeps a copy. Node's Buffer copies
    // messages under 4 KiB into slices of its shared pool rather than an ArrayBuffer each: allocating those
    // was ~7% of the CPU of sending 100-byte messages (bench/datachannel, small).
    if (!isString) bytes = Buffer.from(bytes);
    this.#countSent(bytes.length);
    if (this.#sendChain) {
      const copy = bytes;
      this.#sendLater(copy.length, async () => copy, isString);
      return;
    }
    this.#sendBytes(bytes, isString);
  }

  #countSent(bytes: number): void {
    this.#counters.messagesSent++;
    this.#counters.bytesSent += bytes;
  }

  /** Sends after the Blob reads queued before, keeping the order of send() calls. */
  #sendLater(size: number, read: () => Promise<Uint8Array>, isString: boolean): void {
    this.#pendingBytes += size;
    this.#lastBufferedAmount += size;
    const chain: Promise<void> = (this.#sendChain ?? Promise.resolve())
      .then(read)
      .then((bytes) => {
        this.#pendingBytes -= size;
        if (this.#readyState === 'open') this.#sendBytes(bytes, isString);
      })
      .catch((error: unknown) => {
        this.#closed(
          new RTCError({ errorDetail: 'data-channel-failure' }, `reading a Blob failed: ${error}`),
        );
      })
      .finally(() => {
        if (this.#sendChain === chain) this.#sendChain = undefined;
      });
    this.#sendChain = chain;
  }

  #sendBytes(bytes: Uint8Array, isString: boolean): void {
    // RFC 8831 §6.6: an empty message is one zero byte with the "empty" PPID.
    if (bytes.length === 0)
      this.#backend.send(this, isString ? Ppid.STRING_EMPTY : Ppid.BINARY_EMPTY, EMPTY_MESSAGE);
    else this.#backend.send(this, isString ? Ppid.STRING : Ppid.BINARY, bytes);
    this.#lastBufferedAmount = this.#backend.bufferedAmount(this.#id!) + this.#pendingBytes;
  }

  /** W3C §6.2 close(): closing now, closed once the stream reset completes. */
  close(): void {
    if (this.#readyState === 'closing' || this.#readyState === 'closed') return;
    this.#readyState = 'closing';
    this.#backend.close(this);
  }

  /**
   * Incoming messages as a ReadableStream (strings, and Uint8Array for binary). Reading it is the only
   * consumer from then on: `message` events stop. Unread messages keep the SCTP receive window closed,
   * so a slow reader slows the sender down (real backpressure).
   */
  get readable(): ReadableStream<string | Uint8Array> {
    if (!this.#readable) {
      this.#readable = createReadable(this.#backend);
      if (this.#readyState === 'closed') this.#readable.close();
    }
    return this.#readable.stream;
  }

  /** Outgoing messages as a WritableStream: writes resolve while bufferedAmount is below 1 MiB. */
  get writable(): WritableStream<DataChannelPayload> {
    this.#writable ??= createWritable(this);
    return this.#writable;
  }

  /** @internal Resolves once bufferedAmount is at or below `below` (used by `writable`). */
  waitForBufferedAmount(below: number): Promise<void> {
    if (this.#lastBufferedAmount <= below || this.#readyState === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push({ below, resolve }));
  }

  #deliver(ppid: number, data: Uint8Array): void {
    if (this.#readyState === 'closed') return;
    let value: string | Uint8Array;
    switch (ppid) {
      case Ppid.STRING:
      case Ppid.BINARY: {
        if (
          this.#partialTooLarge ||
          this.#partialBytes + data.length > this.#backend.maxReceivedMessageSize()
        ) {
          // The last piece of a message larger than we accept (RFC 8831 §6.6): none of it is delivered.
          this.#partial = [];
          this.#partialBytes = 0;
          this.#partialTooLarge = false;
          return;
        }
        const whole = this.#joinPartial(data);
        this.#counters.bytesReceived += whole.length;
        value = ppid === Ppid.STRING ? decoder.decode(whole) : whole;
        break;
      }
      case Ppid.STRING_EMPTY:
        value = '';
        break;
      case Ppid.BINARY_EMPTY:
        value = new Uint8Array(0);
        break;
      case Ppid.STRING_PARTIAL:
      case Ppid.BINARY_PARTIAL:
        // RFC 8831 §6.6: deprecated; pieces are collected until the closing full-PPID message, bounded
        // like any message by our max-message-size (before, a peer could make us hold without limit).
        if (this.#partialTooLarge) return;
        this.#partialBytes += data.length;
        if (this.#partialBytes > this.#backend.maxReceivedMessageSize()) {
          this.#partial = [];
          this.#partialBytes = 0;
          this.#partialTooLarge = true;
          return;
        }
        this.#partial.push(data.slice());
        return;
      default:
        return;
    }
    this.#counters.messagesReceived++;
    if (this.#readable) {
      this.#readable.push(value, typeof value === 'string' ? value.length : value.byteLength);
      return;
    }
    let eventData: string | ArrayBuffer | Blob;
    if (typeof value === 'string') eventData = value;
    else if (this.#binaryType === 'blob') eventData = new Blob([value as Uint8Array<ArrayBuffer>]);
    else eventData = exactArrayBuffer(value);
    this.dispatchEvent(new MessageEvent('message', { data: eventData }));
  }

  #joinPartial(data: Uint8Array): Uint8Array {
    let whole = data;
    if (this.#partial.length > 0) {
      const pieces = [...this.#partial, data];
      this.#partial = [];
      this.#partialBytes = 0;
      whole = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
      let offset = 0;
      for (const piece of pieces) {
        whole.set(piece, offset);
        offset += piece.length;
      }
    }
    return whole;
  }

  #bufferedAmountChanged(amount: number): void {
    const previous = this.#lastBufferedAmount;
    const now = amount + this.#pendingBytes;
    this.#lastBufferedAmount = now;
    if (previous > this.#bufferedAmountLowThreshold && now <= this.#bufferedAmountLowThreshold) {
      this.dispatchEvent(new Event('bufferedamountlow'));
    }
    if (this.#drainWaiters.length > 0) {
      const ready = this.#drainWaiters.filter((waiter) => now <= waiter.below);
      this.#drainWaiters = this.#drainWaiters.filter((waiter) => now > waiter.below);
      for (const waiter of ready) waiter.resolve();
    }
  }

  #closed(error?: RTCError): void {
    if (this.#readyState === 'closed') return;
    this.#readyState = 'closed';
    if (error) this.dispatchEvent(new RTCErrorEvent('error', { error }));
    for (const waiter of this.#drainWaiters) waiter.resolve();
    this.#drainWaiters = [];
    this.#readable?.close();
    this.dispatchEvent(new Event('close'));
  }
}

/** The bytes of `view` as an ArrayBuffer of exactly their length, for MessageEvent.data. */
export function exactArrayBuffer(view: Uint8Array): ArrayBuffer {
  if (
    view.byteOffset === 0 &&
    view.byteLength === view.buffer.byteLength &&
    view.buffer instanceof ArrayBuffer
  ) {
    return view.buffer;
  }
  // new Uint8Array(view) always copies; view.slice() does not when the view is a Node Buffer.
  return new Uint8Array(view).buffer;
}
