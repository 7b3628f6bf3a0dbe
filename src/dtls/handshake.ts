/**
 * Handshake message framing and fragmentation (RFC 6347 §4.2.2, §4.2.3):
 *
 *   struct {
 *     HandshakeType msg_type;     // 1 byte
 *     uint24 length;              // of the whole message body
 *     uint16 message_seq;
 *     uint24 fragment_offset;
 *     uint24 fragment_length;
 *     opaque body[fragment_length];
 *   } Handshake;
 */
import { ByteReader } from '../util/index.ts';
import { DtlsDecodeError } from './errors.ts';

export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
} as const;

export const HANDSHAKE_HEADER_LENGTH = 12;
/** Our bound on a reassembled message (certificate chains are the largest); RFC 5246 allows 2^24 - 1. */
export const MAX_HANDSHAKE_MESSAGE = 65536;

const knownTypes = new Set<number>(Object.values(HandshakeType));

export interface HandshakeFragment {
  msgType: number;
  /** Length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  body: Uint8Array;
}

/** A complete message: its body and the bytes the transcript hashes (header with offset 0, RFC 6347 §4.2.6). */
export interface HandshakeMessage {
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
  raw: Uint8Array;
}

export function encodeHandshakeFragment(fragment: HandshakeFragment): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + fragment.body.length);
  writeHandshakeHeader(out, fragment, fragment.body.length);
  out.set(fragment.body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

function writeHandshakeHeader(
  out: Uint8Array,
  fragment: Omit<HandshakeFragment, 'body'>,
  fragmentLength: number,
) {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, ((fragment.msgType << 24) | fragment.length) >>> 0);
  view.setUint16(4, fragment.messageSeq);
  view.setUint32(6, fragment.fragmentOffset << 8);
  view.setUint16(9, fragmentLength >>> 8);
  view.setUint8(11, fragmentLength & 0xff);
}

/** The unfragmented form of a message, which is also what the handshake transcript hashes. */
export function encodeHandshakeMessage(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
): HandshakeMessage {
  const raw = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
  return { msgType, messageSeq, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
}

/** Splits a handshake message into fragments whose bodies are at most `maxBody` bytes (RFC 6347 §4.2.3). */
export function fragmentHandshakeMessage(message: HandshakeMessage, maxBody: number): Uint8Array[] {
  const { body } = message;
  if (maxBody < 1) throw new RangeError('MTU too small for a handshake fragment');
  if (body.length <= maxBody) return [message.raw];
  const fragments: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += maxBody) {
    fragments.push(
      encodeHandshakeFragment({
        msgType: message.msgType,
        length: body.length,
        messageSeq: message.messageSeq,
        fragmentOffset: offset,
        body: body.subarray(offset, Math.min(body.length, offset + maxBody)),
      }),
    );
  }
  return fragments;
}

/** All handshake fragments in one record's plaintext (a record may hold several, RFC 6347 §4.2.3). */
export function decodeHandshakeFragments(recordBody: Uint8Array): HandshakeFragment[] {
  const reader = new ByteReader(recordBody);
  const fragments: HandshakeFragment[] = [];
  while (reader.remaining > 0) {
    const msgType = reader.u8('handshake type');
    if (!knownTypes.has(msgType)) throw new DtlsDecodeError('handshake type', `unknown type ${msgType}`);
    const length = reader.u24('handshake length');
    const messageSeq = reader.u16('handshake message_seq');
    const fragmentOffset = reader.u24('handshake fragment_offset');
    const fragmentLength = reader.u24('handshake fragment_length');
    if (fragmentOffset + fragmentLength > length) {
      throw new DtlsDecodeError(
        'handshake fragment',
        `${fragmentOffset}+${fragmentLength} exceeds length ${length}`,
      );
    }
    const body = reader.bytes(fragmentLength, 'handshake fragment body');
    fragments.push({ msgType, length, messageSeq, fragmentOffset, body });
  }
  return fragments;
}

const MAX_GAPS = 32;

interface PartialMessage {
  msgType: number;
  length: number;
  buffer: Uint8Array;
  /** Disjoint, sorted [start, end) ranges of the body received so far. */
  ranges: [number, number][];
}

/**
 * Puts fragments back together and hands out complete messages strictly in message_seq order
 * (RFC 6347 §4.2.2). Memory is bounded: at most `window` messages ahead of the next expected one, each at
 * most MAX_HANDSHAKE_MESSAGE bytes.
 */
export class HandshakeReassembler {
  #nextSeq: number;
  readonly #window: number;
  readonly #partial = new Map<number, PartialMessage>();

  constructor(nextSeq = 0, window = 8) {
    this.#nextSeq = nextSeq;
    this.#window = window;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Restarts at a given sequence number, dropping anything buffered (used after a stateless cookie exchange). */
  reset(nextSeq: number): void {
    this.#nextSeq = nextSeq;
    this.#partial.clear();
  }

  /**
   * Adds a fragment. Returns false when it belongs to an earlier message (a retransmission by the peer) or
   * too far ahead to buffer; throws on a fragment inconsistent with earlier ones.
   */
  add(fragment: HandshakeFragment): boolean {
    const seq = fragment.messageSeq;
    if (seq < this.#nextSeq || seq >= this.#nextSeq + this.#window) return false;
    if (fragment.length > MAX_HANDSHAKE_MESSAGE) {
      throw new DtlsDecodeError('handshake length', `${fragment.length} exceeds ${MAX_HANDSHAKE_MESSAGE}`);
    }
    let partial = this.#partial.get(seq);
    if (!partial) {
      partial = {
        msgType: fragment.msgType,
        length: fragment.length,
        buffer: new Uint8Array(fragment.length),
        ranges: [],
      };
      this.#partial.set(seq, partial);
    } else if (partial.msgType !== fragment.msgType || partial.length !== fragment.length) {
      throw new DtlsDecodeError(
        'handshake fragment',
        `fragment of message ${seq} disagrees on type or length`,
      );
    }
    const start = fragment.fragmentOffset;
    const end = start + fragment.body.length;
    partial.buffer.set(fragment.body, start);
    partial.ranges = mergeRange(partial.ranges, start, end);
    if (partial.ranges.length > MAX_GAPS) {
      // Honest peers send contiguous fragments; a message shredded into many holes is dropped so that
      // merging stays cheap. The peer's retransmission starts it again.
      this.#partial.delete(seq);
      return false;
    }
    return true;
  }

  /** The next complete message in order, if it has fully arrived. */
  next(): HandshakeMessage | undefined {
    const partial = this.#partial.get(this.#nextSeq);
    if (!partial) return undefined;
    const complete =
      partial.length === 0 ||
      (partial.ranges.length === 1 &&
        partial.ranges[0]![0] === 0 &&
        partial.ranges[0]![1] === partial.length);
    if (!complete) return undefined;
    this.#partial.delete(this.#nextSeq);
    const message = encodeHandshakeMessage(partial.msgType, this.#nextSeq, partial.buffer);
    this.#nextSeq++;
    return message;
  }
}

function mergeRange(ranges: [number, number][], start: number, end: number): [number, number][] {
  if (end <= start) return ranges;
  const merged: [number, number][] = [];
  let current: [number, number] = [start, end];
  let placed = false;
  for (const range of ranges) {
    if (range[1] < current[0]) {
      merged.push(range);
    } else if (range[0] > current[1]) {
      if (!placed) {
        merged.push(current);
        placed = true;
      }
      merged.push(range);
    } else {
      current = [Math.min(range[0], current[0]), Math.max(range[1], current[1])];
    }
  }
  if (!placed) merged.push(current);
  return merged;
}
