import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import {
  abortOrErrorChunkLength,
  decodeAbortChunk,
  decodeCookieEchoChunk,
  decodeErrorChunk,
  decodeHeartbeatChunk,
  decodeShutdownChunk,
  decodeShutdownCompleteChunk,
  heartbeatChunkLength,
  writeAbortOrErrorChunk,
  writeBareChunk,
  writeCookieEchoChunk,
  writeHeartbeatChunk,
  writeShutdownChunk,
} from './control.ts';
import {
  dataChunkLength,
  decodeDataChunk,
  decodeSackChunk,
  sackChunkLength,
  writeDataChunk,
  writeSackChunk,
} from './data.ts';
import { decodeForwardTsnChunk, forwardTsnChunkLength, writeForwardTsnChunk } from './forward-tsn.ts';
import { decodeInitChunk, initChunkLength, writeInitChunk } from './init.ts';
import type { ChunkOut } from './out.ts';
import { decodeReconfigChunk, reconfigChunkLength, writeReconfigChunk } from './reconfig.ts';
import { type Chunk, ChunkType, padded, type UnknownChunk } from './types.ts';

export type DecodedChunk = Chunk | UnknownChunk;

export function isUnknownChunk(chunk: DecodedChunk): chunk is UnknownChunk {
  return 'unknown' in chunk;
}

/** Decodes the chunk at the reader's position (RFC 9260 §3.2) and moves past its padding. */
export function decodeChunk(reader: ByteReader): DecodedChunk {
  const type = reader.u8('chunk type');
  const flags = reader.u8('chunk flags');
  const length = reader.u16('chunk length');
  if (length < 4) throw new SctpDecodeError(`chunk type ${type} with length ${length} below 4`);
  if (type === ChunkType.DATA || type === ChunkType.I_DATA) {
    // The hot path reads DATA in place, without a nested reader per chunk.
    const chunk = decodeDataChunk(reader, type, flags, length - 4);
    reader.skip(Math.min(padded(length) - length, reader.remaining));
    return chunk;
  }
  const value = reader.sub(length - 4, 'chunk value');
  reader.skip(Math.min(padded(length) - length, reader.remaining));
  switch (type) {
    case ChunkType.INIT:
    case ChunkType.INIT_ACK:
      return decodeInitChunk(value, type);
    case ChunkType.SACK:
      return decodeSackChunk(value);
    case ChunkType.HEARTBEAT:
    case ChunkType.HEARTBEAT_ACK:
      return decodeHeartbeatChunk(value, type);
    case ChunkType.ABORT:
      return decodeAbortChunk(value, flags);
    case ChunkType.ERROR:
      return decodeErrorChunk(value);
    case ChunkType.SHUTDOWN:
      return decodeShutdownChunk(value);
    case ChunkType.SHUTDOWN_ACK:
    case ChunkType.COOKIE_ACK:
      return { type };
    case ChunkType.SHUTDOWN_COMPLETE:
      return decodeShutdownCompleteChunk(flags);
    case ChunkType.COOKIE_ECHO:
      return decodeCookieEchoChunk(value);
    case ChunkType.FORWARD_TSN:
    case ChunkType.I_FORWARD_TSN:
      return decodeForwardTsnChunk(value, type);
    case ChunkType.RE_CONFIG:
      return decodeReconfigChunk(value);
    default:
      return { type, unknown: true, flags, value: value.rest() };
  }
}

/** Chunk length as written in its header (without trailing padding). */
export function chunkLength(chunk: Chunk): number {
  switch (chunk.type) {
    case ChunkType.DATA:
    case ChunkType.I_DATA:
      return dataChunkLength(chunk);
    case ChunkType.INIT:
    case ChunkType.INIT_ACK:
      return initChunkLength(chunk);
    case ChunkType.SACK:
      return sackChunkLength(chunk);
    case ChunkType.HEARTBEAT:
    case ChunkType.HEARTBEAT_ACK:
      return heartbeatChunkLength(chunk);
    case ChunkType.ABORT:
    case ChunkType.ERROR:
      return abortOrErrorChunkLength(chunk);
    case ChunkType.SHUTDOWN:
      return 8;
    case ChunkType.SHUTDOWN_ACK:
    case ChunkType.COOKIE_ACK:
    case ChunkType.SHUTDOWN_COMPLETE:
      return 4;
    case ChunkType.COOKIE_ECHO:
      return 4 + chunk.cookie.length;
    case ChunkType.FORWARD_TSN:
    case ChunkType.I_FORWARD_TSN:
      return forwardTsnChunkLength(chunk);
    case ChunkType.RE_CONFIG:
      return reconfigChunkLength(chunk);
  }
}

/** Writes the chunk at `at` and returns the offset after it, padding included. */
export function writeChunk(out: ChunkOut, at: number, chunk: Chunk): number {
  switch (chunk.type) {
    case ChunkType.DATA:
    case ChunkType.I_DATA:
      return writeDataChunk(out, at, chunk);
    case ChunkType.INIT:
    case ChunkType.INIT_ACK:
      return writePaddedEnd(out, writeInitChunk(out, at, chunk));
    case ChunkType.SACK:
      return writeSackChunk(out, at, chunk);
    case ChunkType.HEARTBEAT:
    case ChunkType.HEARTBEAT_ACK:
      return writeHeartbeatChunk(out, at, chunk);
    case ChunkType.ABORT:
    case ChunkType.ERROR:
      return writeAbortOrErrorChunk(out, at, chunk);
    case ChunkType.SHUTDOWN:
      return writeShutdownChunk(out, at, chunk);
    case ChunkType.SHUTDOWN_ACK:
    case ChunkType.COOKIE_ACK:
    case ChunkType.SHUTDOWN_COMPLETE:
      return writeBareChunk(out, at, chunk);
    case ChunkType.COOKIE_ECHO:
      return writeCookieEchoChunk(out, at, chunk);
    case ChunkType.FORWARD_TSN:
    case ChunkType.I_FORWARD_TSN:
      return writeForwardTsnChunk(out, at, chunk);
    case ChunkType.RE_CONFIG:
      return writeReconfigChunk(out, at, chunk);
  }
}

function writePaddedEnd(out: ChunkOut, end: number): number {
  const paddedEnd = padded(end);
  out.bytes.fill(0, end, paddedEnd);
  return paddedEnd;
}

/** One chunk as bytes (padded), for tests and for rare control chunks. */
export function encodeChunk(chunk: Chunk): Uint8Array {
  const bytes = new Uint8Array(padded(chunkLength(chunk)));
  writeChunk({ bytes, view: new DataView(bytes.buffer) }, 0, chunk);
  return bytes;
}
