import { ByteReader } from '../util/index.ts';
import { chunkLength, type DecodedChunk, decodeChunk, writeChunk } from './chunks/codec.ts';
import type { ChunkOut } from './chunks/out.ts';
import { type Chunk, ChunkType, padded } from './chunks/types.ts';
import { crc32c } from './crc32c.ts';
import { SctpDecodeError } from './errors.ts';

/** RFC 9260 §3.1: source port, destination port, verification tag, checksum. */
export const COMMON_HEADER_LENGTH = 12;

export interface SctpPacket {
  sourcePort: number;
  destinationPort: number;
  verificationTag: number;
  chunks: DecodedChunk[];
}

export interface DecodeOptions {
  /**
   * RFC 9653 §5: after announcing Zero Checksum Acceptable, a zero checksum is accepted without
   * verification (DTLS already protects the packet). Packets with an INIT are always checked.
   */
  acceptZeroChecksum?: boolean;
}

/** The checksum field, read little-endian (see decodePacket). */
export function packetChecksum(bytes: Uint8Array): number {
  return (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16) | (bytes[11]! << 24)) >>> 0;
}

/** Decodes a whole packet; throws SctpDecodeError on a bad checksum or malformed chunk. */
export function decodePacket(bytes: Uint8Array, options: DecodeOptions = {}): SctpPacket {
  const reader = new ByteReader(bytes);
  const sourcePort = reader.u16('source port');
  const destinationPort = reader.u16('destination port');
  const verificationTag = reader.u32('verification tag');
  reader.skip(4, 'checksum');
  // §6.8: the CRC32c covers the packet with the checksum field as zero; it is stored little-endian
  // (the reflected CRC's bytes in transmission order, Appendix A).
  const received = packetChecksum(bytes);
  const skipCheck = received === 0 && options.acceptZeroChecksum === true && bytes[12] !== ChunkType.INIT;
  if (!skipCheck) {
    const computed = crc32ExcludingChecksum(bytes);
    if (computed !== received) {
      throw new SctpDecodeError(
        `checksum mismatch: got ${received.toString(16)}, want ${computed.toString(16)}`,
      );
    }
  }
  const chunks: DecodedChunk[] = [];
  while (reader.remaining > 0) chunks.push(decodeChunk(reader));
  if (chunks.length === 0) throw new SctpDecodeError('SCTP packet without chunks');
  return { sourcePort, destinationPort, verificationTag, chunks };
}

const ZERO_WORD = new Uint8Array(4);

function crc32ExcludingChecksum(bytes: Uint8Array): number {
  if (bytes.length < COMMON_HEADER_LENGTH) return -1;
  const header = crc32c(ZERO_WORD, 0, 4, crc32c(bytes, 0, 8));
  return crc32c(bytes, COMMON_HEADER_LENGTH, bytes.length, header);
}

/**
 * Builds packets into one reusable buffer: the transport must consume (encrypt or copy) each packet
 * before `send` returns. Chunks are written in place, so a DATA chunk costs no allocation.
 */
export class PacketBuilder implements ChunkOut {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  #length = 0;

  constructor(readonly maxPacketSize: number) {
    this.bytes = new Uint8Array(maxPacketSize);
    this.view = new DataView(this.bytes.buffer);
  }

  get length(): number {
    return this.#length;
  }

  get empty(): boolean {
    return this.#length <= COMMON_HEADER_LENGTH;
  }

  /** Bytes still free for chunks. */
  get room(): number {
    return this.maxPacketSize - this.#length;
  }

  begin(sourcePort: number, destinationPort: number, verificationTag: number): void {
    this.view.setUint16(0, sourcePort);
    this.view.setUint16(2, destinationPort);
    this.view.setUint32(4, verificationTag);
    this.view.setUint32(8, 0);
    this.#length = COMMON_HEADER_LENGTH;
  }

  /** Whether a chunk of this (unpadded) length still fits. */
  fits(length: number): boolean {
    return this.#length + padded(length) <= this.maxPacketSize;
  }

  add(chunk: Chunk): void {
    this.#length = writeChunk(this, this.#length, chunk);
  }

  /** Sets the checksum (or leaves zero, RFC 9653) and returns a view of the packet. */
  finish(zeroChecksum: boolean): Uint8Array {
    const packet = this.bytes.subarray(0, this.#length);
    if (!zeroChecksum) this.view.setUint32(8, crc32c(packet), true);
    return packet;
  }
}

/** Encodes a packet into a fresh buffer, for control packets and tests. */
export function encodePacket(
  header: Omit<SctpPacket, 'chunks'>,
  chunks: Chunk[],
  options: { zeroChecksum?: boolean } = {},
): Uint8Array {
  let size = COMMON_HEADER_LENGTH;
  for (const chunk of chunks) size += padded(chunkLength(chunk));
  const builder = new PacketBuilder(size);
  builder.begin(header.sourcePort, header.destinationPort, header.verificationTag);
  for (const chunk of chunks) builder.add(chunk);
  return builder.finish(options.zeroChecksum === true).slice();
}
