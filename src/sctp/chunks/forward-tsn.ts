import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { type ChunkOut, writeChunkHeader } from './out.ts';
import { ChunkType, type ForwardTsnChunk, type ForwardTsnStream } from './types.ts';

/** RFC 8260 §2.3.1: the U flag of an I-FORWARD-TSN entry. */
const ENTRY_UNORDERED = 0x01;

export function forwardTsnChunkLength(chunk: ForwardTsnChunk): number {
  // RFC 3758 §3.2: 4 bytes per (stream, SSN); RFC 8260 §2.3: 8 bytes per (stream, flags, MID).
  return 8 + chunk.streams.length * (chunk.type === ChunkType.I_FORWARD_TSN ? 8 : 4);
}

export function writeForwardTsnChunk(out: ChunkOut, at: number, chunk: ForwardTsnChunk): number {
  let p = writeChunkHeader(out, at, chunk.type, 0, forwardTsnChunkLength(chunk));
  const view = out.view;
  view.setUint32(p, chunk.newCumulativeTsn);
  p += 4;
  for (const entry of chunk.streams) {
    view.setUint16(p, entry.streamId);
    if (chunk.type === ChunkType.I_FORWARD_TSN) {
      view.setUint16(p + 2, entry.unordered ? ENTRY_UNORDERED : 0);
      view.setUint32(p + 4, entry.sequence);
      p += 8;
    } else {
      view.setUint16(p + 2, entry.sequence);
      p += 4;
    }
  }
  return p;
}

export function decodeForwardTsnChunk(
  reader: ByteReader,
  type: typeof ChunkType.FORWARD_TSN | typeof ChunkType.I_FORWARD_TSN,
): ForwardTsnChunk {
  const newCumulativeTsn = reader.u32('new cumulative TSN');
  const entrySize = type === ChunkType.I_FORWARD_TSN ? 8 : 4;
  if (reader.remaining % entrySize !== 0) {
    throw new SctpDecodeError(
      `forward TSN entries of ${reader.remaining} bytes, not a multiple of ${entrySize}`,
    );
  }
  const streams: ForwardTsnStream[] = [];
  while (reader.remaining > 0) {
    const streamId = reader.u16('forward TSN stream');
    if (type === ChunkType.I_FORWARD_TSN) {
      const flags = reader.u16('I-FORWARD-TSN flags');
      streams.push({ streamId, unordered: (flags & ENTRY_UNORDERED) !== 0, sequence: reader.u32('MID') });
    } else {
      streams.push({ streamId, unordered: false, sequence: reader.u16('SSN') });
    }
  }
  return { type, newCumulativeTsn, streams };
}
