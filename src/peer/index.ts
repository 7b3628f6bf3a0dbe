/**
 * RTCPeerConnection (W3C WebRTC) for data channels: JSEP offer/answer (RFC 8829) over ICE, DTLS and SCTP,
 * with the W3C objects it hands out. Media is the next part.
 */
export { RTCDataChannel, RTCError, RTCErrorEvent } from '../datachannel/index.ts';
export {
  generateRtcCertificate,
  type KeygenAlgorithm,
  RTCCertificate,
  type RTCDtlsFingerprint,
} from './certificate.ts';
export type {
  RTCBundlePolicy,
  RTCConfiguration,
  RTCIceServer,
  RTCIceTransportPolicy,
  RTCRtcpMuxPolicy,
} from './configuration.ts';
export { RTCDataChannelEvent, RTCPeerConnectionIceErrorEvent, RTCPeerConnectionIceEvent } from './events.ts';
export { type PeerConnectionOptions, RTCPeerConnection } from './peer-connection.ts';
export type { RTCIceConnectionState, RTCIceGatheringState, RTCPeerConnectionState } from './peer-state.ts';
export {
  RTCDtlsTransport,
  type RTCDtlsTransportState,
  RTCIceTransport,
  RTCSctpTransport,
  type RTCSctpTransportState,
} from './rtc-transports.ts';
export {
  RTCIceCandidate,
  type RTCIceCandidateInit,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
} from './session-description.ts';
export type { RTCSdpType, RTCSignalingState } from './signaling-state.ts';
export { type RTCStats, RTCStatsReport } from './stats.ts';
