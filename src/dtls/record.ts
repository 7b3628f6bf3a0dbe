/**
 * DTLS record layer framing (RFC 6347 §4.1):
 *
 *   struct {
 *     ContentType type;            // 1 byte
 *     ProtocolVersion version;     // {254, 253} for DTLS 1.2
 *     uint16 epoch;
 *     uint48 sequence_number;
 *     uint16 length;
 *     opaque fragment[DTLSPlaintext.length];
 *   } DTLSPlaintext;
 *
 * Several records may share one datagram (§4.1.1); a record never spans datagrams.
 */
import { ByteReader } from '../util/index.ts';
import { DtlsDecodeError } from './errors.ts';

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** DTLS 1.2 is {254, 253}; DTLS 1.0 ({254, 255}) may appear on a first ClientHello (RFC 6347 §4.1). */
export const DTLS_1_2 = 0xfefd;
export const DTLS_1_0 = 0xfeff;

export const RECORD_HEADER_LENGTH = 13;
/** RFC 6347 §4.1 / RFC 5246 §6.2.3: a protected fragment is at most 2^14 + 2048 bytes. */
export const MAX_RECORD_FRAGMENT = 16384 + 2048;
/** RFC 5246 §6.2.1: a plaintext fragment is at most 2^14 bytes. */
export const MAX_PLAINTEXT = 16384;
/** Sequence numbers are 48-bit and never wrap (RFC 6347 §4.1). */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;

export interface DtlsRecord {
  contentType: number;
  version: number;
  epoch: number;
  sequenceNumber: number;
  fragment: Uint8Array;
}

const knownContentTypes = new Set<number>(Object.values(ContentType));

/** Writes a record header at `offset` of `target` (which must have 13 bytes free there). */
export function writeRecordHeader(
  target: Uint8Array,
  offset: number,
  contentType: number,
  epoch: number,
  sequenceNumber: number,
  length: number,
  version = DTLS_1_2,
): void {
  target[offset] = contentType;
  target[offset + 1] = version >>> 8;
  target[offset + 2] = version & 0xff;
  target[offset + 3] = epoch >>> 8;
  target[offset + 4] = epoch & 0xff;
  const high = Math.floor(sequenceNumber / 2 ** 32);
  target[offset + 5] = high >>> 8;
  target[offset + 6] = high & 0xff;
  target[offset + 7] = sequenceNumber >>> 24;
  target[offset + 8] = (sequenceNumber >>> 16) & 0xff;
  target[offset + 9] = (sequenceNumber >>> 8) & 0xff;
  target[offset + 10] = sequenceNumber & 0xff;
  target[offset + 11] = length >>> 8;
  target[offset + 12] = length & 0xff;
}

export function encodeRecord(record: DtlsRecord): Uint8Array {
  if (record.fragment.length > MAX_RECORD_FRAGMENT) {
    throw new RangeError(`record fragment of ${record.fragment.length} bytes exceeds ${MAX_RECORD_FRAGMENT}`);
  }
  const out = new Uint8Array(RECORD_HEADER_LENGTH + record.fragment.length);
  writeRecordHeader(
    out,
    0,
    record.contentType,
    record.epoch,
    record.sequenceNumber,
    record.fragment.length,
    record.version,
  );
  out.set(record.fragment, RECORD_HEADER_LENGTH);
  return out;
}

/**
 * Splits a datagram into its records. Fragments are views into the datagram (no copy). Throws on the
 * first malformed record; RFC 6347 §4.1.2.7 has the caller discard what does not parse.
 */
export function decodeRecords(datagram: Uint8Array): DtlsRecord[] {
  const reader = new ByteReader(datagram);
  const records: DtlsRecord[] = [];
  while (reader.remaining > 0) {
    const contentType = reader.u8('record content type');
    if (!knownContentTypes.has(contentType)) {
      throw new DtlsDecodeError('record content type', `unknown content type ${contentType}`);
    }
    const version = reader.u16('record version');
    if (version >>> 8 !== 0xfe)
      throw new DtlsDecodeError('record version', `not DTLS: 0x${version.toString(16)}`);
    const epoch = reader.u16('record epoch');
    const sequenceNumber = reader.u48('record sequence number');
    const length = reader.u16('record length');
    if (length > MAX_RECORD_FRAGMENT) {
      throw new DtlsDecodeError('record length', `${length} exceeds ${MAX_RECORD_FRAGMENT}`);
    }
    records.push({
      contentType,
      version,
      epoch,
      sequenceNumber,
      fragment: reader.bytes(length, 'record fragment'),
    });
  }
  return records;
}
