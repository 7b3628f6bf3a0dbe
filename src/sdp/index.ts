export {
  type FormatParameter,
  filterAttributes,
  findAttribute,
  type MediaDirection,
  parseAttribute,
  type SdpAttribute,
  type SdpAttributeOf,
  type SdpAttributeType,
  type SetupRole,
  type SimulcastStream,
  serializeAttribute,
} from './attributes.ts';
export {
  type IceCandidate,
  type IceCandidateType,
  type IceTcpType,
  parseCandidate,
  serializeCandidate,
} from './candidate.ts';
export { SdpParseError } from './errors.ts';
export {
  type MediaDescription,
  type ParseSdpOptions,
  parseSdp,
  type SdpBandwidth,
  type SdpConnection,
  type SdpOrigin,
  type SdpTiming,
  type SessionDescription,
  serializeSdp,
} from './session.ts';
