/**
 * Typed STUN attributes, driven by a table of codecs (one row per attribute: type, name, encode, decode).
 * The TURN and ICE layers define their own rows with defineStunAttribute and the same address, number and
 * string codecs, so the core codec never changes when a protocol adds attributes.
 */
import { ByteReader } from '../util/index.ts';
import { MAGIC_COOKIE, StunAttributeType } from './constants.ts';
import { StunDecodeError } from './errors.ts';
import { formatIp, parseIp, type TransportAddress } from './ip.ts';
import { findAttribute, type StunMessage } from './message.ts';

export interface StunAttributeCodec<T> {
  readonly type: number;
  readonly name: string;
  /** `transactionId` is needed by the XOR address attributes (RFC 8489 §14.2). */
  encode(value: T, transactionId: Uint8Array): Uint8Array;
  /** Throws StunDecodeError on a malformed value. */
  decode(value: Uint8Array, transactionId: Uint8Array): T;
}

const registry = new Map<number, StunAttributeCodec<unknown>>();

/**
 * Adds a row to the attribute table; a type may be defined once. The row returned decodes through a guard:
 * whatever a decoder throws on bad input (a TruncatedInputError from ByteReader, a RangeError from a
 * DataView, a bug) leaves it as a StunDecodeError, so every caller answers it as a malformed attribute
 * (RFC 8489 §6.3.1: 400 for a request, silence for an indication) instead of crashing on it.
 */
export function defineStunAttribute<T>(codec: StunAttributeCodec<T>): StunAttributeCodec<T> {
  if (registry.has(codec.type))
    throw new Error(`STUN attribute 0x${codec.type.toString(16)} is already defined`);
  const guarded: StunAttributeCodec<T> = {
    type: codec.type,
    name: codec.name,
    encode: (value, transactionId) => codec.encode(value, transactionId),
    decode(value, transactionId) {
      try {
        return codec.decode(value, transactionId);
      } catch (error) {
        if (error instanceof StunDecodeError) throw error;
        const reason = error instanceof Error ? error.message : 'undecodable value';
        throw new StunDecodeError('bad-attribute', `${codec.name}: ${reason}`, { cause: error });
      }
    },
  };
  registry.set(codec.type, guarded as StunAttributeCodec<unknown>);
  return guarded;
}

/** The row for a type, if some layer defined it. */
export function stunAttributeCodec(type: number): StunAttributeCodec<unknown> | undefined {
  return registry.get(type);
}

/** Encodes a typed value and appends it to the message. */
export function addAttribute<T>(message: StunMessage, codec: StunAttributeCodec<T>, value: T): StunMessage {
  message.attributes.push({ type: codec.type, value: codec.encode(value, message.transactionId) });
  return message;
}

/** The typed value of the first attribute of this codec's type, or undefined; throws StunDecodeError if malformed. */
export function getAttribute<T>(message: StunMessage, codec: StunAttributeCodec<T>): T | undefined {
  const attribute = findAttribute(message, codec.type);
  return attribute ? codec.decode(attribute.value, message.transactionId) : undefined;
}

/**
 * The typed values of every attribute of this codec's type, in order, for the attributes a message may
 * repeat (RFC 8656 §9.1: CreatePermission's XOR-PEER-ADDRESS); throws StunDecodeError if one is malformed.
 */
export function getAttributes<T>(message: StunMessage, codec: StunAttributeCodec<T>): T[] {
  const values: T[] = [];
  for (const attribute of message.attributes) {
    if (attribute.type === codec.type) values.push(codec.decode(attribute.value, message.transactionId));
  }
  return values;
}

export function hasAttribute(message: StunMessage, codec: StunAttributeCodec<unknown>): boolean {
  return findAttribute(message, codec.type) !== undefined;
}

/**
 * RFC 8489 §6.3.1: the comprehension-required attribute types (below 0x8000) of a message that no row of
 * the table understands, for an UNKNOWN-ATTRIBUTES reply.
 */
export function unknownComprehensionRequired(message: StunMessage): number[] {
  const unknown: number[] = [];
  for (const { type } of message.attributes) {
    if (type < 0x8000 && !registry.has(type) && !unknown.includes(type)) unknown.push(type);
  }
  return unknown;
}

// ---- Value codecs, reused by the rows below and by other layers ----

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of at most `maxBytes` bytes (RFC 8489 §14.3, §14.9, §14.10, §14.11). */
export function textAttribute(type: number, name: string, maxBytes: number): StunAttributeCodec<string> {
  return defineStunAttribute({
    type,
    name,
    encode(value) {
      const bytes = textEncoder.encode(value);
      if (bytes.length > maxBytes) throw new RangeError(`${name} is at most ${maxBytes} bytes`);
      return bytes;
    },
    decode(value) {
      if (value.length > maxBytes)
        throw new StunDecodeError('bad-attribute', `${name} is at most ${maxBytes} bytes`);
      try {
        return textDecoder.decode(value);
      } catch {
        throw new StunDecodeError('bad-attribute', `${name} is not UTF-8`);
      }
    },
  });
}

/** Opaque bytes with a length bound. */
export function bytesAttribute(
  type: number,
  name: string,
  min: number,
  max: number,
): StunAttributeCodec<Uint8Array> {
  return defineStunAttribute({
    type,
    name,
    encode: (value) => value,
    decode(value) {
      if (value.length < min || value.length > max) {
        throw new StunDecodeError('bad-attribute', `${name} is ${min} to ${max} bytes, got ${value.length}`);
      }
      return value;
    },
  });
}

export function uint32Attribute(type: number, name: string): StunAttributeCodec<number> {
  return defineStunAttribute({
    type,
    name,
    encode(value) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, value >>> 0);
      return out;
    },
    decode(value) {
      if (value.length !== 4) throw new StunDecodeError('bad-attribute', `${name} is 4 bytes`);
      return new ByteReader(value).u32(name);
    },
  });
}

export function uint64Attribute(type: number, name: string): StunAttributeCodec<bigint> {
  return defineStunAttribute({
    type,
    name,
    encode(value) {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, value);
      return out;
    },
    decode(value) {
      if (value.length !== 8) throw new StunDecodeError('bad-attribute', `${name} is 8 bytes`);
      return new ByteReader(value).u64(name);
    },
  });
}

/** An attribute whose presence is its meaning (an empty value), e.g. USE-CANDIDATE. */
export function flagAttribute(type: number, name: string): StunAttributeCodec<true> {
  return defineStunAttribute({
    type,
    name,
    encode: () => new Uint8Array(0),
    decode(value) {
      if (value.length !== 0) throw new StunDecodeError('bad-attribute', `${name} has no value`);
      return true;
    },
  });
}

const familyCode = { IPv4: 0x01, IPv6: 0x02 } as const;

/** RFC 8489 §14.1 MAPPED-ADDRESS layout, or §14.2 XOR-MAPPED-ADDRESS when `xor` is set. */
export function addressAttribute(
  type: number,
  name: string,
  xor: boolean,
): StunAttributeCodec<TransportAddress> {
  return defineStunAttribute({
    type,
    name,
    encode(value, transactionId) {
      const ip = parseIp(value.address);
      if (!ip) throw new RangeError(`${name}: not an IP address: ${value.address}`);
      const out = new Uint8Array(4 + ip.bytes.length);
      const view = new DataView(out.buffer);
      view.setUint8(1, familyCode[ip.family]);
      view.setUint16(2, xor ? value.port ^ (MAGIC_COOKIE >>> 16) : value.port);
      out.set(ip.bytes, 4);
      if (xor) xorAddressBytes(out.subarray(4), transactionId);
      return out;
    },
    decode(value, transactionId) {
      const reader = new ByteReader(value);
      reader.skip(1, `${name} reserved`);
      const family = reader.u8(`${name} family`);
      const size = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
      if (size === 0)
        throw new StunDecodeError('bad-address-family', `${name}: unknown address family ${family}`);
      const port = reader.u16(`${name} port`);
      if (reader.remaining !== size) {
        throw new StunDecodeError(
          'bad-attribute',
          `${name}: ${size}-byte address expected, ${reader.remaining} given`,
        );
      }
      // A copy (the Uint8Array constructor copies even from a Buffer), since XOR works in place.
      const address = new Uint8Array(reader.bytes(size, `${name} address`));
      if (xor) xorAddressBytes(address, transactionId);
      return {
        family: size === 4 ? 'IPv4' : 'IPv6',
        address: formatIp(address),
        port: xor ? port ^ (MAGIC_COOKIE >>> 16) : port,
      };
    },
  });
}

/** RFC 8489 §14.2: XOR with the magic cookie, then (IPv6) the transaction ID. Its own inverse. */
function xorAddressBytes(address: Uint8Array, transactionId: Uint8Array): void {
  for (let i = 0; i < address.length; i++) {
    const key = i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff : (transactionId[i - 4] as number);
    address[i] = (address[i] as number) ^ key;
  }
}

// ---- The rows of RFC 8489 and RFC 8445 ----

export interface StunErrorCode {
  readonly code: number;
  readonly reason: string;
}

export const MAPPED_ADDRESS = addressAttribute(StunAttributeType.MappedAddress, 'MAPPED-ADDRESS', false);
export const XOR_MAPPED_ADDRESS = addressAttribute(
  StunAttributeType.XorMappedAddress,
  'XOR-MAPPED-ADDRESS',
  true,
);
export const ALTERNATE_SERVER = addressAttribute(
  StunAttributeType.AlternateServer,
  'ALTERNATE-SERVER',
  false,
);
/** RFC 8489 §14.3: fewer than 509 bytes. */
export const USERNAME = textAttribute(StunAttributeType.Username, 'USERNAME', 508);
/** RFC 8489 §14.4: a SHA-256 hash. */
export const USERHASH = bytesAttribute(StunAttributeType.Userhash, 'USERHASH', 32, 32);
/** RFC 8489 §14.9, §14.10, §14.11: fewer than 128 characters, i.e. at most 763 bytes. */
export const REALM = textAttribute(StunAttributeType.Realm, 'REALM', 763);
export const NONCE = textAttribute(StunAttributeType.Nonce, 'NONCE', 763);
export const SOFTWARE = textAttribute(StunAttributeType.Software, 'SOFTWARE', 763);
/** RFC 8445 §16.1. */
export const PRIORITY = uint32Attribute(StunAttributeType.Priority, 'PRIORITY');
export const USE_CANDIDATE = flagAttribute(StunAttributeType.UseCandidate, 'USE-CANDIDATE');
export const ICE_CONTROLLED = uint64Attribute(StunAttributeType.IceControlled, 'ICE-CONTROLLED');
export const ICE_CONTROLLING = uint64Attribute(StunAttributeType.IceControlling, 'ICE-CONTROLLING');
/** Integrity and fingerprint are written by encodeStunMessage and checked by the verify functions. */
export const MESSAGE_INTEGRITY = bytesAttribute(
  StunAttributeType.MessageIntegrity,
  'MESSAGE-INTEGRITY',
  20,
  20,
);
export const MESSAGE_INTEGRITY_SHA256 = bytesAttribute(
  StunAttributeType.MessageIntegritySha256,
  'MESSAGE-INTEGRITY-SHA256',
  16,
  32,
);
export const FINGERPRINT = uint32Attribute(StunAttributeType.Fingerprint, 'FINGERPRINT');

/** RFC 8489 §14.8: class (hundreds) and number in separate fields, then a UTF-8 reason of at most 763 bytes. */
export const ERROR_CODE = defineStunAttribute<StunErrorCode>({
  type: StunAttributeType.ErrorCode,
  name: 'ERROR-CODE',
  encode({ code, reason }) {
    if (code < 300 || code > 699) throw new RangeError('an ERROR-CODE is 300 to 699');
    const text = textEncoder.encode(reason);
    if (text.length > 763) throw new RangeError('an ERROR-CODE reason is at most 763 bytes');
    const out = new Uint8Array(4 + text.length);
    out[2] = Math.floor(code / 100);
    out[3] = code % 100;
    out.set(text, 4);
    return out;
  },
  decode(value) {
    const reader = new ByteReader(value);
    reader.skip(2, 'ERROR-CODE reserved');
    const errorClass = reader.u8('ERROR-CODE class') & 0x07;
    const number = reader.u8('ERROR-CODE number');
    if (errorClass < 3 || errorClass > 6 || number > 99) {
      throw new StunDecodeError('bad-error-code', `ERROR-CODE class ${errorClass} number ${number}`);
    }
    if (reader.remaining > 763) throw new StunDecodeError('bad-error-code', 'ERROR-CODE reason too long');
    let reason: string;
    try {
      reason = textDecoder.decode(reader.rest());
    } catch {
      throw new StunDecodeError('bad-error-code', 'ERROR-CODE reason is not UTF-8');
    }
    return { code: errorClass * 100 + number, reason };
  },
});

/** RFC 8489 §14.13: a list of 16-bit attribute types. */
export const UNKNOWN_ATTRIBUTES = defineStunAttribute<number[]>({
  type: StunAttributeType.UnknownAttributes,
  name: 'UNKNOWN-ATTRIBUTES',
  encode(types) {
    const out = new Uint8Array(types.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < types.length; i++) view.setUint16(i * 2, types[i] as number);
    return out;
  },
  decode(value) {
    if (value.length % 2 !== 0)
      throw new StunDecodeError('bad-attribute', 'UNKNOWN-ATTRIBUTES has an odd length');
    const reader = new ByteReader(value);
    const types: number[] = [];
    while (reader.remaining > 0) types.push(reader.u16('UNKNOWN-ATTRIBUTES type'));
    return types;
  },
});
