export { IceAgent } from './agent.ts';
export {
  candidatePriority,
  type IceCandidateError,
  isMdnsName,
  type LocalCandidate,
  pairPriority,
  type RemoteCandidate,
  typePreference,
} from './candidate.ts';
export { CandidatePair, type CandidatePairState } from './checklist.ts';
export {
  DatagramBoundary,
  type DatagramBoundaryOptions,
  type DatagramErrorReport,
  type DatagramErrorReporter,
} from './datagram-boundary.ts';
export { type IceServer, type IceServerUrl, parseIceServerUrl } from './gatherer.ts';
export { DnsDecodeError, decodeMdnsResponse, encodeMdnsQuery, MdnsResolver } from './mdns.ts';
export type { IceRole } from './messages.ts';
export {
  generateIceParameters,
  type IceAgentCounters,
  type IceAgentEvents,
  type IceAgentOptions,
  type IceConnectionState,
  type IceGatheringState,
  type IceParameters,
} from './options.ts';
export {
  type IceDatagramHandler,
  type IceEndpoint,
  type IceInterfaceAddress,
  type IceSocket,
  type IceTransport,
  NodeIceTransport,
  type NodeIceTransportOptions,
  VirtualIceTransport,
} from './transport.ts';
