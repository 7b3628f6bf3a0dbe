/** TURN (RFC 8656): the relay server of `dyad serve`, and the pieces the ICE agent's TURN client shares. */
export { PeerAddressPolicy, type PeerPolicyOptions } from './address-policy.ts';
export {
  AddressFamilyCode,
  CHANNEL_NUMBER,
  DATA,
  EVEN_PORT,
  LIFETIME,
  REQUESTED_ADDRESS_FAMILY,
  REQUESTED_TRANSPORT,
  RESERVATION_TOKEN,
  UDP_PROTOCOL,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from './attributes.ts';
export { createTurnRestCredentials, type TurnRestCredentials } from './auth.ts';
export {
  type ChannelData,
  ChannelDataError,
  decodeChannelData,
  encodeChannelData,
  isValidChannelNumber,
  MAX_CHANNEL,
  MIN_CHANNEL,
  StreamFramer,
} from './channel-data.ts';
export { type TurnAllocation, TurnClient, type TurnClientOptions, TurnRequestError } from './client.ts';
export {
  connectTurnTransport,
  type TurnClientTransport,
  type TurnServerAddress,
} from './client-transport.ts';
export { type IpRange, parseIpRange, rangeContains } from './ip-range.ts';
export type { TlsCredentials } from './listeners.ts';
export type { AllocationRefusal, TurnCounters, TurnInputTransport } from './metrics.ts';
export type { TurnLogger, TurnQuotas } from './options.ts';
export type { PortRange } from './relay-sockets.ts';
export { startTurnServer, type TurnServer, type TurnServerOptions } from './server.ts';
