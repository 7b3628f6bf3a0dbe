import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { type ChunkOut, writeChunkHeader, writePadding } from './out.ts';
import { ChunkType, type DataChunk, type GapAckBlock, type SackChunk } from './types.ts';

// RFC 9260 §3.3.1 flags; RFC 7053 adds I.
const FLAG_ENDING = 0x01;
const FLAG_BEGINNING = 0x02;
const FLAG_UNORDERED = 0x04;
const FLAG_IMMEDIATE = 0x08;

/** Header bytes before the payload: 16 for DATA (§3.3.1), 20 for I-DATA (RFC 8260 §2.1). */
const DATA_HEADER_LENGTH = 16;
const I_DATA_HEADER_LENGTH = 20;

export function dataChunkLength(chunk: DataChunk): number {
  return (chunk.type === ChunkType.I_DATA ? I_DATA_HEADER_LENGTH : DATA_HEADER_LENGTH) + chunk.payload.length;
}

function dataFlags(chunk: DataChunk): number {
  return (
    (chunk.ending ? FLAG_ENDING : 0) |
    (chunk.beginning ? FLAG_BEGINNING : 0) |
    (chunk.unordered ? FLAG_UNORDERED : 0) |
    (chunk.immediate ? FLAG_IMMEDIATE : 0)
  );
}

export function writeDataChunk(out: ChunkOut, at: number, chunk: DataChunk): number {
  const length = dataChunkLength(chunk);
  let p = writeChunkHeader(out, at, chunk.type, dataFlags(chunk), length);
  const view = out.view;
  view.setUint32(p, chunk.tsn);
  view.setUint16(p + 4, chunk.streamId);
  if (chunk.type === ChunkType.I_DATA) {
    view.setUint16(p + 6, 0);
    view.setUint32(p + 8, chunk.sequence);
    view.setUint32(p + 12, chunk.beginning ? chunk.ppid : chunk.fragment);
    p += 16;
  } else {
    view.setUint16(p + 6, chunk.sequence);
    view.setUint32(p + 8, chunk.ppid);
    p += 12;
  }
  out.bytes.set(chunk.payload, p);
  return writePadding(out, p + chunk.payload.length);
}

/** Decodes the `valueLength` bytes after a DATA or I-DATA chunk header, leaving the reader after them. */
export function decodeDataChunk(
  reader: ByteReader,
  type: typeof ChunkType.DATA | typeof ChunkType.I_DATA,
  flags: number,
  valueLength: number,
): DataChunk {
  const fixed = (type === ChunkType.I_DATA ? I_DATA_HEADER_LENGTH : DATA_HEADER_LENGTH) - 4;
  if (valueLength < fixed) throw new SctpDecodeError(`DATA chunk value of ${valueLength} bytes`);
  if (valueLength > reader.remaining) throw new SctpDecodeError(`DATA chunk longer than its packet`);
  const tsn = reader.u32('DATA TSN');
  const streamId = reader.u16('DATA stream identifier');
  let sequence: number;
  let fragment = 0;
  let ppid: number;
  const beginning = (flags & FLAG_BEGINNING) !== 0;
  if (type === ChunkType.I_DATA) {
    reader.skip(2, 'I-DATA reserved');
    sequence = reader.u32('I-DATA message identifier');
    const word = reader.u32('I-DATA PPID or FSN');
    // RFC 8260 §2.1: the first fragment carries the PPID, the others their FSN.
    ppid = beginning ? word : 0;
    fragment = beginning ? 0 : word;
  } else {
    sequence = reader.u16('DATA stream sequence number');
    ppid = reader.u32('DATA PPID');
  }
  return {
    type,
    unordered: (flags & FLAG_UNORDERED) !== 0,
    beginning,
    ending: (flags & FLAG_ENDING) !== 0,
    immediate: (flags & FLAG_IMMEDIATE) !== 0,
    tsn,
    streamId,
    sequence,
    fragment,
    ppid,
    payload: reader.bytes(valueLength - fixed, 'DATA payload'),
  };
}

// RFC 9260 §3.3.4 SACK.
export function sackChunkLength(chunk: SackChunk): number {
  return 16 + 4 * chunk.gapBlocks.length + 4 * chunk.duplicateTsns.length;
}

export function writeSackChunk(out: ChunkOut, at: number, chunk: SackChunk): number {
  let p = writeChunkHeader(out, at, ChunkType.SACK, 0, sackChunkLength(chunk));
  const view = out.view;
  view.setUint32(p, chunk.cumulativeTsnAck);
  view.setUint32(p + 4, chunk.advertisedWindow);
  view.setUint16(p + 8, chunk.gapBlocks.length);
  view.setUint16(p + 10, chunk.duplicateTsns.length);
  p += 12;
  for (const block of chunk.gapBlocks) {
    view.setUint16(p, block.start);
    view.setUint16(p + 2, block.end);
    p += 4;
  }
  for (const tsn of chunk.duplicateTsns) {
    view.setUint32(p, tsn);
    p += 4;
  }
  return p;
}

export function decodeSackChunk(reader: ByteReader): SackChunk {
  const cumulativeTsnAck = reader.u32('SACK cumulative TSN ack');
  const advertisedWindow = reader.u32('SACK a_rwnd');
  const gapCount = reader.u16('SACK gap block count');
  const duplicateCount = reader.u16('SACK duplicate count');
  if (reader.remaining < 4 * (gapCount + duplicateCount)) {
    throw new SctpDecodeError(
      `SACK announces ${gapCount} gap blocks and ${duplicateCount} duplicates in ${reader.remaining} bytes`,
    );
  }
  const gapBlocks: GapAckBlock[] = [];
  for (let i = 0; i < gapCount; i++) {
    const start = reader.u16('gap block start');
    const end = reader.u16('gap block end');
    if (start === 0 || end < start) throw new SctpDecodeError(`invalid gap ack block ${start}..${end}`);
    gapBlocks.push({ start, end });
  }
  const duplicateTsns: number[] = [];
  for (let i = 0; i < duplicateCount; i++) duplicateTsns.push(reader.u32('duplicate TSN'));
  return { type: ChunkType.SACK, cumulativeTsnAck, advertisedWindow, gapBlocks, duplicateTsns };
}
