import type { ByteReader } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { type ChunkOut, writeChunkHeader, writePadding } from './out.ts';
import {
  ChunkType,
  padded,
  type ReconfigChunk,
  type ReconfigParameter,
  ReconfigParameterType,
} from './types.ts';

function parameterLength(parameter: ReconfigParameter): number {
  switch (parameter.type) {
    case ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST:
      return 16 + 2 * parameter.streams.length;
    case ReconfigParameterType.RECONFIGURATION_RESPONSE:
      return 12;
    default:
      throw new RangeError(`Dyad never sends re-configuration parameter ${parameter.type}`);
  }
}

export function reconfigChunkLength(chunk: ReconfigChunk): number {
  let length = 4;
  chunk.parameters.forEach((parameter, index) => {
    const size = parameterLength(parameter);
    length += index === chunk.parameters.length - 1 ? size : padded(size);
  });
  return length;
}

export function writeReconfigChunk(out: ChunkOut, at: number, chunk: ReconfigChunk): number {
  let p = writeChunkHeader(out, at, ChunkType.RE_CONFIG, 0, reconfigChunkLength(chunk));
  const view = out.view;
  for (const parameter of chunk.parameters) {
    const length = parameterLength(parameter);
    view.setUint16(p, parameter.type);
    view.setUint16(p + 2, length);
    if (parameter.type === ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST) {
      // RFC 6525 §4.1.
      view.setUint32(p + 4, parameter.requestSequence);
      view.setUint32(p + 8, parameter.responseSequence);
      view.setUint32(p + 12, parameter.senderLastTsn);
      parameter.streams.forEach((stream, i) => {
        view.setUint16(p + 16 + 2 * i, stream);
      });
    } else if (parameter.type === ReconfigParameterType.RECONFIGURATION_RESPONSE) {
      // RFC 6525 §4.4, without the optional TSN fields (used only by SSN/TSN reset).
      view.setUint32(p + 4, parameter.responseSequence);
      view.setUint32(p + 8, parameter.result);
    }
    p = writePadding(out, p + length);
  }
  return p;
}

/** RFC 6525 §3.1: one or two parameters; each decoded strictly, unknown ones refused. */
export function decodeReconfigChunk(reader: ByteReader): ReconfigChunk {
  const parameters: ReconfigParameter[] = [];
  while (reader.remaining >= 4) {
    const type = reader.u16('re-config parameter type');
    const length = reader.u16('re-config parameter length');
    if (length < 8) throw new SctpDecodeError(`re-config parameter length ${length} below 8`);
    const body = reader.sub(length - 4, 're-config parameter');
    reader.skip(Math.min(padded(length) - length, reader.remaining));
    switch (type) {
      case ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST: {
        const requestSequence = body.u32('request sequence');
        const responseSequence = body.u32('response sequence');
        const senderLastTsn = body.u32('sender last TSN');
        if (body.remaining % 2 !== 0) throw new SctpDecodeError('odd stream list in reset request');
        const streams: number[] = [];
        while (body.remaining > 0) streams.push(body.u16('stream'));
        parameters.push({ type, requestSequence, responseSequence, senderLastTsn, streams });
        break;
      }
      case ReconfigParameterType.RECONFIGURATION_RESPONSE:
        parameters.push({
          type,
          responseSequence: body.u32('response sequence'),
          result: body.u32('result'),
        });
        break;
      case ReconfigParameterType.INCOMING_SSN_RESET_REQUEST:
      case ReconfigParameterType.SSN_TSN_RESET_REQUEST:
      case ReconfigParameterType.ADD_OUTGOING_STREAMS_REQUEST:
      case ReconfigParameterType.ADD_INCOMING_STREAMS_REQUEST:
        parameters.push({ type, requestSequence: body.u32('request sequence') });
        break;
      default:
        throw new SctpDecodeError(`unknown re-configuration parameter type ${type}`);
    }
  }
  if (parameters.length === 0 || parameters.length > 2) {
    throw new SctpDecodeError(`RE-CONFIG with ${parameters.length} parameters`);
  }
  return { type: ChunkType.RE_CONFIG, parameters };
}
