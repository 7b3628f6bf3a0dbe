/**
 * WebRTC data channels (RFC 8831) with DCEP (RFC 8832) on an SCTP association: DataChannelTransport
 * owns the association's events and creates W3C RTCDataChannel objects, which also offer Web Streams.
 */
export {
  type BinaryType,
  type ChannelCounters,
  type DataChannelPayload,
  RTCDataChannel,
  type RTCDataChannelInit,
  type RTCDataChannelState,
  type RTCPriorityType,
} from './channel.ts';
export {
  DcepDecodeError,
  type DcepMessage,
  type DcepOpen,
  decodeDcep,
  encodeDcepAck,
  encodeDcepOpen,
  Ppid,
} from './dcep.ts';
export { RTCError, type RTCErrorDetailType, RTCErrorEvent, type RTCErrorInit } from './errors.ts';
export { WRITABLE_HIGH_WATER_MARK } from './streams.ts';
export { DataChannelTransport, type DataChannelTransportOptions } from './transport.ts';
