/**
 * SCTP (RFC 9260) for WebRTC data channels, over DTLS (RFC 8261) or any packet transport: an
 * SctpAssociation takes a transport `{ send(packet) }`, is fed received packets with `receive(packet)`,
 * and runs its timers on an injected Clock. Extensions: PR-SCTP FORWARD-TSN (RFC 3758), stream reset
 * (RFC 6525), I-DATA interleaving (RFC 8260) and zero checksums over DTLS (RFC 9653), each used only
 * when both ends announce it.
 */
export { SctpAssociation } from './association.ts';
export { chunkLength, type DecodedChunk, decodeChunk, encodeChunk, isUnknownChunk } from './chunks/codec.ts';
export * from './chunks/types.ts';
export { crc32c } from './crc32c.ts';
export { SctpAssociationError, SctpDecodeError } from './errors.ts';
export { LossyLink, type LossyLinkOptions } from './lossy-link.ts';
export {
  type AssociationState,
  DEFAULT_MAX_MESSAGE_SIZE,
  type SctpAssociationHandlers,
  type SctpAssociationOptions,
  type SctpTransport,
} from './options.ts';
export { decodePacket, encodePacket, type SctpPacket } from './packet.ts';
export {
  DEFAULT_RTO_CONFIG,
  type RtoConfig,
  type RtoState,
  rtoAfterBackoff,
  rtoAfterMeasurement,
} from './rto.ts';
export type { SendOptions } from './send-queue.ts';
export type { StreamResetDirection } from './stream-reset.ts';
/** Test support: two associations over a LossyLink in virtual time (for this layer and those above). */
export { AssociationPair, type ReceivedMessage, settle } from './test-pair.ts';
