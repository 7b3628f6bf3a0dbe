import { ByteReader, ByteWriter } from '../util/index.ts';

/** Payload Protocol Identifiers of WebRTC data channels (RFC 8831 §8, RFC 8832 §8.1). */
export const Ppid = {
  DCEP: 50,
  STRING: 51,
  /** Deprecated partial messages (RFC 8831 §6.6): old peers split large messages with these. */
  BINARY_PARTIAL: 52,
  BINARY: 53,
  STRING_PARTIAL: 54,
  STRING_EMPTY: 56,
  BINARY_EMPTY: 57,
} as const;

/** RFC 8832 §8.2.1 message types. */
export const DcepMessageType = { ACK: 0x02, OPEN: 0x03 } as const;

/** RFC 8832 §8.2.2 channel types: the high bit means unordered. */
export const DcepChannelType = {
  RELIABLE: 0x00,
  PARTIAL_RELIABLE_REXMIT: 0x01,
  PARTIAL_RELIABLE_TIMED: 0x02,
  UNORDERED: 0x80,
} as const;

export class DcepDecodeError extends Error {
  override readonly name = 'DcepDecodeError';
}

export interface DcepOpen {
  type: typeof DcepMessageType.OPEN;
  ordered: boolean;
  /** Set for limited retransmissions. */
  maxRetransmits?: number;
  /** Set for timed reliability, in milliseconds. */
  maxPacketLifeTime?: number;
  priority: number;
  label: string;
  protocol: string;
}

export interface DcepAck {
  type: typeof DcepMessageType.ACK;
}

export type DcepMessage = DcepOpen | DcepAck;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** RFC 8832 §5.1: DATA_CHANNEL_OPEN. */
export function encodeDcepOpen(open: Omit<DcepOpen, 'type'>): Uint8Array {
  const label = encoder.encode(open.label);
  const protocol = encoder.encode(open.protocol);
  if (label.length > 0xffff || protocol.length > 0xffff)
    throw new RangeError('label or protocol over 65535 bytes');
  let channelType: number = DcepChannelType.RELIABLE;
  let reliability = 0;
  if (open.maxRetransmits !== undefined) {
    channelType = DcepChannelType.PARTIAL_RELIABLE_REXMIT;
    reliability = open.maxRetransmits;
  } else if (open.maxPacketLifeTime !== undefined) {
    channelType = DcepChannelType.PARTIAL_RELIABLE_TIMED;
    reliability = open.maxPacketLifeTime;
  }
  if (!open.ordered) channelType |= DcepChannelType.UNORDERED;
  return new ByteWriter(12 + label.length + protocol.length)
    .u8(DcepMessageType.OPEN)
    .u8(channelType)
    .u16(open.priority)
    .u32(reliability)
    .u16(label.length)
    .u16(protocol.length)
    .bytes(label)
    .bytes(protocol)
    .finish();
}

/** RFC 8832 §5.2: DATA_CHANNEL_ACK. */
export function encodeDcepAck(): Uint8Array {
  return Uint8Array.of(DcepMessageType.ACK);
}

export function decodeDcep(bytes: Uint8Array): DcepMessage {
  const reader = new ByteReader(bytes);
  const type = reader.u8('DCEP message type');
  if (type === DcepMessageType.ACK) return { type };
  if (type !== DcepMessageType.OPEN) throw new DcepDecodeError(`unknown DCEP message type ${type}`);
  const channelType = reader.u8('channel type');
  const priority = reader.u16('priority');
  const reliability = reader.u32('reliability parameter');
  const labelLength = reader.u16('label length');
  const protocolLength = reader.u16('protocol length');
  const open: DcepOpen = {
    type,
    ordered: (channelType & DcepChannelType.UNORDERED) === 0,
    priority,
    label: decoder.decode(reader.bytes(labelLength, 'label')),
    protocol: decoder.decode(reader.bytes(protocolLength, 'protocol')),
  };
  switch (channelType & ~DcepChannelType.UNORDERED) {
    case DcepChannelType.RELIABLE:
      break;
    case DcepChannelType.PARTIAL_RELIABLE_REXMIT:
      open.maxRetransmits = reliability;
      break;
    case DcepChannelType.PARTIAL_RELIABLE_TIMED:
      open.maxPacketLifeTime = reliability;
      break;
    default:
      throw new DcepDecodeError(`unknown DCEP channel type ${channelType}`);
  }
  return open;
}
