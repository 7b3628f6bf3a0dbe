import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { type ChunkOut, writeChunkHeader, writePadding } from './out.ts';
import { ChunkType, type InitChunk, padded } from './types.ts';

/** INIT and INIT ACK parameter types (RFC 9260 §3.3.2.1, RFC 3758, RFC 5061, RFC 9653). */
export const InitParameterType = {
  IPV4_ADDRESS: 5,
  IPV6_ADDRESS: 6,
  STATE_COOKIE: 7,
  UNRECOGNIZED_PARAMETER: 8,
  COOKIE_PRESERVATIVE: 9,
  HOST_NAME_ADDRESS: 11,
  SUPPORTED_ADDRESS_TYPES: 12,
  ECN_CAPABLE: 0x8000,
  ZERO_CHECKSUM_ACCEPTABLE: 0x8001,
  SUPPORTED_EXTENSIONS: 0x8008,
  FORWARD_TSN_SUPPORTED: 0xc000,
  ADAPTATION_LAYER_INDICATION: 0xc006,
} as const;

/** Parameters that are understood and deliberately unused over DTLS (addresses, ECN, adaptation). */
const IGNORED_PARAMETERS = new Set<number>([
  InitParameterType.IPV4_ADDRESS,
  InitParameterType.IPV6_ADDRESS,
  InitParameterType.COOKIE_PRESERVATIVE,
  InitParameterType.HOST_NAME_ADDRESS,
  InitParameterType.SUPPORTED_ADDRESS_TYPES,
  InitParameterType.ECN_CAPABLE,
  InitParameterType.ADAPTATION_LAYER_INDICATION,
]);

export function initChunkLength(chunk: InitChunk): number {
  let length = 20;
  if (chunk.stateCookie) length += padded(4 + chunk.stateCookie.length);
  if (chunk.supportedExtensions.length > 0) length += padded(4 + chunk.supportedExtensions.length);
  if (chunk.forwardTsnSupported) length += 4;
  if (chunk.zeroChecksumMethod !== undefined) length += 8;
  for (const raw of chunk.unrecognizedParameters) length += padded(4 + raw.length);
  // The chunk length excludes the padding of the last parameter (RFC 9260 §3.2).
  return length - lastParameterPadding(chunk);
}

function lastParameterPadding(chunk: InitChunk): number {
  const last = chunk.unrecognizedParameters.at(-1);
  if (last) return padded(4 + last.length) - (4 + last.length);
  if (chunk.zeroChecksumMethod !== undefined || chunk.forwardTsnSupported) return 0;
  if (chunk.supportedExtensions.length > 0) {
    return padded(4 + chunk.supportedExtensions.length) - (4 + chunk.supportedExtensions.length);
  }
  if (chunk.stateCookie) return padded(4 + chunk.stateCookie.length) - (4 + chunk.stateCookie.length);
  return 0;
}

function writeParameter(out: ChunkOut, at: number, type: number, body: Uint8Array): number {
  out.view.setUint16(at, type);
  out.view.setUint16(at + 2, 4 + body.length);
  out.bytes.set(body, at + 4);
  return writePadding(out, at + 4 + body.length);
}

export function writeInitChunk(out: ChunkOut, at: number, chunk: InitChunk): number {
  const length = initChunkLength(chunk);
  let p = writeChunkHeader(out, at, chunk.type, 0, length);
  const view = out.view;
  view.setUint32(p, chunk.initiateTag);
  view.setUint32(p + 4, chunk.advertisedWindow);
  view.setUint16(p + 8, chunk.outboundStreams);
  view.setUint16(p + 10, chunk.inboundStreams);
  view.setUint32(p + 12, chunk.initialTsn);
  p += 16;
  if (chunk.stateCookie) p = writeParameter(out, p, InitParameterType.STATE_COOKIE, chunk.stateCookie);
  if (chunk.supportedExtensions.length > 0) {
    p = writeParameter(
      out,
      p,
      InitParameterType.SUPPORTED_EXTENSIONS,
      Uint8Array.from(chunk.supportedExtensions),
    );
  }
  if (chunk.forwardTsnSupported) {
    view.setUint16(p, InitParameterType.FORWARD_TSN_SUPPORTED);
    view.setUint16(p + 2, 4);
    p += 4;
  }
  if (chunk.zeroChecksumMethod !== undefined) {
    view.setUint16(p, InitParameterType.ZERO_CHECKSUM_ACCEPTABLE);
    view.setUint16(p + 2, 8);
    view.setUint32(p + 4, chunk.zeroChecksumMethod);
    p += 8;
  }
  for (const raw of chunk.unrecognizedParameters) {
    p = writeParameter(out, p, InitParameterType.UNRECOGNIZED_PARAMETER, raw);
  }
  return p;
}

/** RFC 9260 §3.3.2 and §3.3.3; parameters per §3.2.1 (the top two bits of an unknown type decide). */
export function decodeInitChunk(
  reader: ByteReader,
  type: typeof ChunkType.INIT | typeof ChunkType.INIT_ACK,
): InitChunk {
  const chunk: InitChunk = {
    type,
    initiateTag: reader.u32('initiate tag'),
    advertisedWindow: reader.u32('a_rwnd'),
    outboundStreams: reader.u16('outbound streams'),
    inboundStreams: reader.u16('inbound streams'),
    initialTsn: reader.u32('initial TSN'),
    supportedExtensions: [],
    forwardTsnSupported: false,
    unrecognizedParameters: [],
  };
  // RFC 9260 §3.3.2: a zero Initiate Tag or zero stream counts are invalid.
  if (chunk.initiateTag === 0) throw new SctpDecodeError('INIT with a zero initiate tag');
  if (chunk.outboundStreams === 0 || chunk.inboundStreams === 0) {
    throw new SctpDecodeError('INIT with zero inbound or outbound streams');
  }
  while (reader.remaining >= 4) {
    const parameterType = reader.u16('parameter type');
    const parameterLength = reader.u16('parameter length');
    if (parameterLength < 4) throw new SctpDecodeError(`INIT parameter length ${parameterLength} below 4`);
    const body = reader.bytes(parameterLength - 4, 'parameter value');
    reader.skip(Math.min(padded(parameterLength) - parameterLength, reader.remaining));
    switch (parameterType) {
      case InitParameterType.STATE_COOKIE:
        chunk.stateCookie = body;
        break;
      case InitParameterType.SUPPORTED_EXTENSIONS:
        chunk.supportedExtensions = [...body];
        break;
      case InitParameterType.FORWARD_TSN_SUPPORTED:
        chunk.forwardTsnSupported = true;
        break;
      case InitParameterType.ZERO_CHECKSUM_ACCEPTABLE:
        if (body.length !== 4) throw new SctpDecodeError('Zero Checksum Acceptable parameter of wrong size');
        chunk.zeroChecksumMethod = new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
        break;
      case InitParameterType.UNRECOGNIZED_PARAMETER:
        // INIT ACK: the peer reports parameters of our INIT it did not understand.
        if (type === ChunkType.INIT_ACK) chunk.unrecognizedParameters.push(body);
        break;
      default: {
        if (IGNORED_PARAMETERS.has(parameterType)) break;
        if (parameterType & 0x4000) {
          const raw = new Uint8Array(parameterLength);
          raw.set(body, 4);
          new DataView(raw.buffer).setUint16(0, parameterType);
          new DataView(raw.buffer).setUint16(2, parameterLength);
          chunk.unrecognizedParameters.push(raw);
        }
        // Top bit clear: stop processing the rest of this chunk's parameters.
        if ((parameterType & 0x8000) === 0) return chunk;
      }
    }
  }
  return chunk;
}
