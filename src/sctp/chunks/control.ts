import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { type ChunkOut, writeChunkHeader, writePadding } from './out.ts';
import {
  type AbortChunk,
  type BareChunk,
  ChunkType,
  type CookieEchoChunk,
  type ErrorCause,
  type ErrorChunk,
  type HeartbeatChunk,
  padded,
  type ShutdownChunk,
  type ShutdownCompleteChunk,
} from './types.ts';

/** RFC 9260 §3.3.5: the Heartbeat Info parameter type. */
const HEARTBEAT_INFO = 1;
/** T bit of ABORT and SHUTDOWN COMPLETE (§3.3.7, §3.3.13). */
const FLAG_REFLECTED_TAG = 0x01;

export function heartbeatChunkLength(chunk: HeartbeatChunk): number {
  return 8 + chunk.info.length;
}

export function writeHeartbeatChunk(out: ChunkOut, at: number, chunk: HeartbeatChunk): number {
  const p = writeChunkHeader(out, at, chunk.type, 0, heartbeatChunkLength(chunk));
  out.view.setUint16(p, HEARTBEAT_INFO);
  out.view.setUint16(p + 2, 4 + chunk.info.length);
  out.bytes.set(chunk.info, p + 4);
  return writePadding(out, p + 4 + chunk.info.length);
}

export function decodeHeartbeatChunk(
  reader: ByteReader,
  type: typeof ChunkType.HEARTBEAT | typeof ChunkType.HEARTBEAT_ACK,
): HeartbeatChunk {
  const parameterType = reader.u16('heartbeat parameter type');
  const parameterLength = reader.u16('heartbeat parameter length');
  if (parameterType !== HEARTBEAT_INFO || parameterLength < 4) {
    throw new SctpDecodeError(`heartbeat without a Heartbeat Info parameter (type ${parameterType})`);
  }
  return { type, info: reader.bytes(parameterLength - 4, 'heartbeat info') };
}

function causesLength(causes: ErrorCause[]): number {
  let length = 0;
  for (const cause of causes) length += padded(4 + cause.body.length);
  const last = causes.at(-1);
  return last ? length - (padded(4 + last.body.length) - (4 + last.body.length)) : 0;
}

function writeCauses(out: ChunkOut, at: number, causes: ErrorCause[]): number {
  let p = at;
  for (const cause of causes) {
    out.view.setUint16(p, cause.code);
    out.view.setUint16(p + 2, 4 + cause.body.length);
    out.bytes.set(cause.body, p + 4);
    p = writePadding(out, p + 4 + cause.body.length);
  }
  return p;
}

/** Error causes (RFC 9260 §3.3.10), each a TLV padded to four bytes. */
function decodeCauses(reader: ByteReader): ErrorCause[] {
  const causes: ErrorCause[] = [];
  while (reader.remaining >= 4) {
    const code = reader.u16('error cause code');
    const length = reader.u16('error cause length');
    if (length < 4) throw new SctpDecodeError(`error cause length ${length} below 4`);
    causes.push({ code, body: reader.bytes(length - 4, 'error cause body') });
    reader.skip(Math.min(padded(length) - length, reader.remaining));
  }
  return causes;
}

export function abortOrErrorChunkLength(chunk: AbortChunk | ErrorChunk): number {
  return 4 + causesLength(chunk.causes);
}

export function writeAbortOrErrorChunk(out: ChunkOut, at: number, chunk: AbortChunk | ErrorChunk): number {
  const flags = chunk.type === ChunkType.ABORT && chunk.reflectedTag ? FLAG_REFLECTED_TAG : 0;
  const p = writeChunkHeader(out, at, chunk.type, flags, abortOrErrorChunkLength(chunk));
  return writeCauses(out, p, chunk.causes);
}

export function decodeAbortChunk(reader: ByteReader, flags: number): AbortChunk {
  return {
    type: ChunkType.ABORT,
    reflectedTag: (flags & FLAG_REFLECTED_TAG) !== 0,
    causes: decodeCauses(reader),
  };
}

export function decodeErrorChunk(reader: ByteReader): ErrorChunk {
  return { type: ChunkType.ERROR, causes: decodeCauses(reader) };
}

export function writeShutdownChunk(out: ChunkOut, at: number, chunk: ShutdownChunk): number {
  const p = writeChunkHeader(out, at, ChunkType.SHUTDOWN, 0, 8);
  out.view.setUint32(p, chunk.cumulativeTsnAck);
  return p + 4;
}

export function decodeShutdownChunk(reader: ByteReader): ShutdownChunk {
  return { type: ChunkType.SHUTDOWN, cumulativeTsnAck: reader.u32('SHUTDOWN cumulative TSN ack') };
}

export function writeBareChunk(out: ChunkOut, at: number, chunk: BareChunk | ShutdownCompleteChunk): number {
  const flags = chunk.type === ChunkType.SHUTDOWN_COMPLETE && chunk.reflectedTag ? FLAG_REFLECTED_TAG : 0;
  return writeChunkHeader(out, at, chunk.type, flags, 4);
}

export function decodeShutdownCompleteChunk(flags: number): ShutdownCompleteChunk {
  return { type: ChunkType.SHUTDOWN_COMPLETE, reflectedTag: (flags & FLAG_REFLECTED_TAG) !== 0 };
}

export function writeCookieEchoChunk(out: ChunkOut, at: number, chunk: CookieEchoChunk): number {
  const p = writeChunkHeader(out, at, ChunkType.COOKIE_ECHO, 0, 4 + chunk.cookie.length);
  out.bytes.set(chunk.cookie, p);
  return writePadding(out, p + chunk.cookie.length);
}

export function decodeCookieEchoChunk(reader: ByteReader): CookieEchoChunk {
  return { type: ChunkType.COOKIE_ECHO, cookie: reader.rest() };
}
