/**
 * The STUN message codec (RFC 8489 §5, §14): pure functions over Uint8Array. Attributes are kept as raw
 * type/value pairs; attributes.ts gives them meaning through a table of codecs, so TURN and ICE add
 * attributes without touching this file. MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
 * computed here, at encode time, because they cover the bytes before them.
 */
import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ByteReader, randomBytes, TruncatedInputError } from '../util/index.ts';
import {
  FINGERPRINT_XOR,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  StunAttributeType,
  type StunClass,
  TRANSACTION_ID_LENGTH,
} from './constants.ts';
import { StunDecodeError } from './errors.ts';

export interface StunAttribute {
  readonly type: number;
  readonly value: Uint8Array;
  /** Where the attribute header starts in the decoded message (set by decodeStunMessage only). */
  readonly offset?: number;
}

export interface StunMessage {
  readonly method: number;
  readonly class: StunClass;
  /** 96 bits (RFC 8489 §5). */
  readonly transactionId: Uint8Array;
  readonly attributes: StunAttribute[];
}

/** A message as it came off the wire: the bytes are kept to check MESSAGE-INTEGRITY and FINGERPRINT. */
export interface DecodedStunMessage extends StunMessage {
  readonly raw: Uint8Array;
}

export interface StunEncodeOptions {
  /** Appends MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with this key. */
  readonly integrityKey?: Uint8Array;
  /** Appends MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6) with this key. */
  readonly integritySha256Key?: Uint8Array;
  /** Appends FINGERPRINT (RFC 8489 §14.7). */
  readonly fingerprint?: boolean;
}

const classBits: Record<StunClass, number> = { request: 0b00, indication: 0b01, success: 0b10, error: 0b11 };
const classByBits: readonly StunClass[] = ['request', 'indication', 'success', 'error'];

/** RFC 8489 §5: the 14-bit type interleaves the method bits M11..M0 with the class bits C1 C0. */
export function encodeMessageType(method: number, cls: StunClass): number {
  const c = classBits[cls];
  return (
    (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
  );
}

export function decodeMessageType(type: number): { method: number; class: StunClass } {
  const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
  const c = ((type >> 4) & 1) | ((type >> 7) & 2);
  return { method, class: classByBits[c] as StunClass };
}

export function newTransactionId(): Uint8Array {
  return randomBytes(TRANSACTION_ID_LENGTH);
}

export function createStunMessage(
  method: number,
  cls: StunClass,
  transactionId: Uint8Array = newTransactionId(),
): StunMessage {
  return { method, class: cls, transactionId, attributes: [] };
}

const paddedLength = (n: number) => (n + 3) & ~3;

/** Encodes a message; integrity and fingerprint attributes requested in `options` go last, in RFC order. */
export function encodeStunMessage(message: StunMessage, options: StunEncodeOptions = {}): Uint8Array {
  if (message.transactionId.length !== TRANSACTION_ID_LENGTH) {
    throw new RangeError('a STUN transaction ID is 12 bytes');
  }
  let bodyLength = 0;
  for (const attribute of message.attributes) {
    if (attribute.value.length > 0xffff)
      throw new RangeError('a STUN attribute value is at most 65535 bytes');
    bodyLength += 4 + paddedLength(attribute.value.length);
  }
  const total =
    HEADER_LENGTH +
    bodyLength +
    (options.integrityKey ? 24 : 0) +
    (options.integritySha256Key ? 36 : 0) +
    (options.fingerprint ? 8 : 0);
  if (total - HEADER_LENGTH > 0xffff) throw new RangeError('a STUN message body is at most 65535 bytes');
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint16(0, encodeMessageType(message.method, message.class));
  view.setUint32(4, MAGIC_COOKIE);
  out.set(message.transactionId, 8);
  let at = HEADER_LENGTH;
  for (const attribute of message.attributes) {
    view.setUint16(at, attribute.type);
    view.setUint16(at + 2, attribute.value.length);
    out.set(attribute.value, at + 4);
    at += 4 + paddedLength(attribute.value.length);
  }
  // RFC 8489 §14.5, §14.6: the length field covers the integrity attribute itself while it is computed.
  if (options.integrityKey) {
    view.setUint16(2, at + 24 - HEADER_LENGTH);
    const mac = createHmac('sha1', options.integrityKey).update(out.subarray(0, at)).digest();
    view.setUint16(at, StunAttributeType.MessageIntegrity);
    view.setUint16(at + 2, 20);
    out.set(mac, at + 4);
    at += 24;
  }
  if (options.integritySha256Key) {
    view.setUint16(2, at + 36 - HEADER_LENGTH);
    const mac = createHmac('sha256', options.integritySha256Key).update(out.subarray(0, at)).digest();
    view.setUint16(at, StunAttributeType.MessageIntegritySha256);
    view.setUint16(at + 2, 32);
    out.set(mac, at + 4);
    at += 36;
  }
  if (options.fingerprint) {
    view.setUint16(2, at + 8 - HEADER_LENGTH);
    const crc = (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
    view.setUint16(at, StunAttributeType.Fingerprint);
    view.setUint16(at + 2, 4);
    view.setUint32(at + 4, crc);
    at += 8;
  }
  view.setUint16(2, at - HEADER_LENGTH);
  return out;
}

/**
 * Decodes one whole STUN message (a datagram, or a frame cut from a stream). RFC 8489 §6.3: the top two
 * bits are zero, the cookie is present, the length is a multiple of 4 and matches. §14.5-14.7: attributes
 * after MESSAGE-INTEGRITY are ignored except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and nothing may
 * follow FINGERPRINT. Throws StunDecodeError and nothing else.
 */
export function decodeStunMessage(bytes: Uint8Array): DecodedStunMessage {
  try {
    return decode(bytes);
  } catch (error) {
    if (error instanceof TruncatedInputError) throw new StunDecodeError('truncated', error.message);
    throw error;
  }
}

function decode(bytes: Uint8Array): DecodedStunMessage {
  const reader = new ByteReader(bytes);
  const type = reader.u16('message type');
  if (type & 0xc000) throw new StunDecodeError('not-stun', 'the first two bits of a STUN message are zero');
  const length = reader.u16('message length');
  if (reader.u32('magic cookie') !== MAGIC_COOKIE) {
    throw new StunDecodeError('bad-magic-cookie', 'missing STUN magic cookie');
  }
  const transactionId = new Uint8Array(reader.bytes(TRANSACTION_ID_LENGTH, 'transaction ID'));
  if (length % 4 !== 0)
    throw new StunDecodeError('bad-length', `message length ${length} is not a multiple of 4`);
  if (length !== reader.remaining) {
    throw new StunDecodeError(
      'bad-length',
      `message length ${length} but ${reader.remaining} bytes follow the header`,
    );
  }
  const attributes: StunAttribute[] = [];
  let seenIntegrity = false;
  let seenFingerprint = false;
  while (reader.remaining > 0) {
    const offset = reader.offset;
    const attributeType = reader.u16('attribute type');
    const attributeLength = reader.u16('attribute length');
    const value = reader.bytes(attributeLength, 'attribute value');
    reader.skip(paddedLength(attributeLength) - attributeLength, 'attribute padding');
    if (seenFingerprint) throw new StunDecodeError('bad-attribute', 'attribute after FINGERPRINT');
    if (attributeType === StunAttributeType.Fingerprint) {
      if (attributeLength !== 4) throw new StunDecodeError('bad-attribute', 'FINGERPRINT is 4 bytes');
      seenFingerprint = true;
    } else if (attributeType === StunAttributeType.MessageIntegrity) {
      if (attributeLength !== 20) throw new StunDecodeError('bad-attribute', 'MESSAGE-INTEGRITY is 20 bytes');
      if (seenIntegrity) continue;
      seenIntegrity = true;
    } else if (attributeType === StunAttributeType.MessageIntegritySha256) {
      // RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4 (a truncated HMAC-SHA256).
      if (attributeLength < 16 || attributeLength > 32 || attributeLength % 4 !== 0) {
        throw new StunDecodeError(
          'bad-attribute',
          'MESSAGE-INTEGRITY-SHA256 is 16 to 32 bytes, a multiple of 4',
        );
      }
      seenIntegrity = true;
    } else if (seenIntegrity) {
      continue;
    }
    attributes.push({ type: attributeType, value: new Uint8Array(value), offset });
  }
  const { method, class: cls } = decodeMessageType(type);
  return { method, class: cls, transactionId, attributes, raw: bytes };
}

/** The first attribute of a type, raw (RFC 8489 §14: only the first of duplicates is used). */
export function findAttribute(message: StunMessage, type: number): StunAttribute | undefined {
  for (const attribute of message.attributes) if (attribute.type === type) return attribute;
  return undefined;
}

/** A copy of the bytes an integrity or fingerprint attribute covers, with the length field it saw. */
function rawWithLength(message: DecodedStunMessage, end: number, length: number): Uint8Array {
  // The Uint8Array constructor copies; Buffer#slice (raw may be a Buffer) would not.
  const covered = new Uint8Array(message.raw.subarray(0, end));
  new DataView(covered.buffer).setUint16(2, length);
  return covered;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** RFC 8489 §14.5: checks MESSAGE-INTEGRITY; false when it is absent or wrong. */
export function verifyMessageIntegrity(message: DecodedStunMessage, key: Uint8Array): boolean {
  const attribute = findAttribute(message, StunAttributeType.MessageIntegrity);
  if (attribute?.offset === undefined) return false;
  const covered = rawWithLength(message, attribute.offset, attribute.offset + 24 - HEADER_LENGTH);
  return constantTimeEqual(createHmac('sha1', key).update(covered).digest(), attribute.value);
}

/** RFC 8489 §14.6: checks MESSAGE-INTEGRITY-SHA256 (possibly truncated); false when absent or wrong. */
export function verifyMessageIntegritySha256(message: DecodedStunMessage, key: Uint8Array): boolean {
  const attribute = findAttribute(message, StunAttributeType.MessageIntegritySha256);
  if (attribute?.offset === undefined) return false;
  const end = attribute.offset;
  const covered = rawWithLength(message, end, end + 4 + attribute.value.length - HEADER_LENGTH);
  const mac = createHmac('sha256', key).update(covered).digest().subarray(0, attribute.value.length);
  return constantTimeEqual(mac, attribute.value);
}

/** RFC 8489 §14.7: checks FINGERPRINT; false when it is absent or wrong. */
export function verifyFingerprint(message: DecodedStunMessage): boolean {
  const attribute = findAttribute(message, StunAttributeType.Fingerprint);
  if (attribute?.offset === undefined) return false;
  const covered = rawWithLength(message, attribute.offset, attribute.offset + 8 - HEADER_LENGTH);
  const expected = (crc32(covered) ^ FINGERPRINT_XOR) >>> 0;
  return new DataView(attribute.value.buffer, attribute.value.byteOffset).getUint32(0) === expected;
}
