/**
 * The small part of ASN.1 DER (ITU-T X.690 §8, §10) that a self-signed X.509 certificate needs: an
 * encoder for the types we write and a bounded decoder (single-byte tags, definite minimal lengths,
 * limited nesting) for reading a peer's certificate.
 */
import { ByteReader } from '../util/index.ts';
import { DtlsDecodeError } from './errors.ts';

export const DerTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Tag of a constructed, context-specific [n] (X.690 §8.1.2). */
export const contextTag = (n: number): number => 0xa0 | n;

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function derTlv(tag: number, contents: Uint8Array): Uint8Array {
  const header = [tag, ...lengthBytes(contents.length)];
  const out = new Uint8Array(header.length + contents.length);
  out.set(header);
  out.set(contents, header.length);
  return out;
}

function joined(items: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(items.reduce((sum, item) => sum + item.length, 0));
  let at = 0;
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}

export const derSequence = (...items: Uint8Array[]): Uint8Array => derTlv(DerTag.sequence, joined(items));
export const derSet = (...items: Uint8Array[]): Uint8Array => derTlv(DerTag.set, joined(items));
export const derExplicit = (n: number, item: Uint8Array): Uint8Array => derTlv(contextTag(n), item);
export const derNull = (): Uint8Array => derTlv(DerTag.null, new Uint8Array(0));
export const derUtf8String = (text: string): Uint8Array =>
  derTlv(DerTag.utf8String, new TextEncoder().encode(text));
/** BIT STRING with no unused bits (X.690 §8.6). */
export const derBitString = (bytes: Uint8Array): Uint8Array =>
  derTlv(DerTag.bitString, joined([Uint8Array.of(0), bytes]));

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded (X.690 §8.3.2). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const body = trimmed.length === 0 || trimmed[0]! & 0x80 ? joined([Uint8Array.of(0), trimmed]) : trimmed;
  return derTlv(DerTag.integer, body);
}

export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const bytes: number[] = [];
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (const value of values) {
    const group: number[] = [value & 0x7f];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128))
      group.unshift(0x80 | (rest & 0x7f));
    bytes.push(...group);
  }
  return derTlv(DerTag.oid, Uint8Array.from(bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in seconds with Z. */
export function derTime(date: Date): Uint8Array {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  const text = year < 2050 ? `${digits.slice(2)}Z` : `${digits}Z`;
  return derTlv(year < 2050 ? DerTag.utcTime : DerTag.generalizedTime, new TextEncoder().encode(text));
}

export interface DerElement {
  tag: number;
  contents: Uint8Array;
  /** The whole element, tag and length included. */
  encoded: Uint8Array;
}

const MAX_CHILDREN = 256;

/** Reads one element of `source` at the reader's offset; lengths must be definite, minimal and in bounds. */
function readDerElement(source: Uint8Array, reader: ByteReader): DerElement {
  const start = reader.offset;
  const tag = reader.u8('DER tag');
  if ((tag & 0x1f) === 0x1f) throw new DtlsDecodeError('DER tag', 'multi-byte tags are not supported');
  let length = reader.u8('DER length');
  if (length === 0x80) throw new DtlsDecodeError('DER length', 'indefinite length is not DER');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 3) throw new DtlsDecodeError('DER length', `${count}-byte length is too large`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + reader.u8('DER length');
    if (length < 0x80 || length < 256 ** (count - 1))
      throw new DtlsDecodeError('DER length', 'not minimally encoded');
  }
  const contents = reader.bytes(length, 'DER contents');
  return { tag, contents, encoded: source.subarray(start, reader.offset) };
}

/** Decodes bytes that hold exactly one element. */
export function decodeDer(bytes: Uint8Array): DerElement {
  const reader = new ByteReader(bytes);
  const element = readDerElement(bytes, reader);
  if (reader.remaining !== 0) throw new DtlsDecodeError('DER', `${reader.remaining} trailing bytes`);
  return element;
}

/** The children of a constructed element, optionally checking its tag. */
export function derChildren(element: DerElement, expectedTag?: number): DerElement[] {
  if (expectedTag !== undefined && element.tag !== expectedTag) {
    throw new DtlsDecodeError(
      'DER',
      `expected tag 0x${expectedTag.toString(16)}, got 0x${element.tag.toString(16)}`,
    );
  }
  if ((element.tag & 0x20) === 0) throw new DtlsDecodeError('DER', 'element is not constructed');
  const reader = new ByteReader(element.contents);
  const children: DerElement[] = [];
  while (reader.remaining > 0) {
    if (children.length === MAX_CHILDREN)
      throw new DtlsDecodeError('DER', `more than ${MAX_CHILDREN} children`);
    children.push(readDerElement(element.contents, reader));
  }
  return children;
}

export function decodeOid(element: DerElement): string {
  if (element.tag !== DerTag.oid || element.contents.length === 0)
    throw new DtlsDecodeError('OID', 'not an OID');
  const values: number[] = [];
  let value = 0;
  for (const byte of element.contents) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DtlsDecodeError('OID', 'arc too large');
    if ((byte & 0x80) === 0) {
      values.push(value);
      value = 0;
    }
  }
  if ((element.contents[element.contents.length - 1]! & 0x80) !== 0)
    throw new DtlsDecodeError('OID', 'truncated arc');
  const first = values[0]!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...values.slice(1)].join('.');
}
