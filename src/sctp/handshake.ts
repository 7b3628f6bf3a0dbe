import { ChunkType, type InitChunk } from './chunks/types.ts';
import type { CookieContents } from './cookie.ts';

/** RFC 9653 §4: Error Detection Method Identifier 1, "SCTP over DTLS" (RFC 8261). */
export const ZERO_CHECKSUM_METHOD_DTLS = 1;

export interface LocalParameters {
  tag: number;
  initialTsn: number;
  receiveWindow: number;
  streams: number;
  interleaving: boolean;
  zeroChecksum: boolean;
}

export interface PeerParameters {
  tag: number;
  initialTsn: number;
  receiveWindow: number;
  outboundStreams: number;
  inboundStreams: number;
  extensions: number[];
  forwardTsn: boolean;
  zeroChecksum: boolean;
}

/** What both ends support, decided once the association is established. */
export interface Negotiated {
  forwardTsn: boolean;
  reconfig: boolean;
  /** RFC 8260 §2.2: I-DATA is used when both ends list it (and I-FORWARD-TSN) as supported. */
  interleaved: boolean;
  /** RFC 9653 §5: the peer accepts zero checksums for SCTP over DTLS. */
  sendZeroChecksum: boolean;
  outboundStreams: number;
  inboundStreams: number;
}

export function supportedExtensions(local: LocalParameters): number[] {
  const extensions: number[] = [ChunkType.RE_CONFIG, ChunkType.FORWARD_TSN];
  if (local.interleaving) extensions.push(ChunkType.I_DATA, ChunkType.I_FORWARD_TSN);
  return extensions;
}

/** INIT (RFC 9260 §3.3.2) or INIT ACK (§3.3.3) announcing this endpoint's parameters. */
export function localInitChunk(
  local: LocalParameters,
  type: typeof ChunkType.INIT | typeof ChunkType.INIT_ACK,
  stateCookie?: Uint8Array,
  unrecognizedParameters: Uint8Array[] = [],
): InitChunk {
  const chunk: InitChunk = {
    type,
    initiateTag: local.tag,
    advertisedWindow: local.receiveWindow,
    outboundStreams: local.streams,
    inboundStreams: local.streams,
    initialTsn: local.initialTsn,
    supportedExtensions: supportedExtensions(local),
    forwardTsnSupported: true,
    unrecognizedParameters,
  };
  if (stateCookie) chunk.stateCookie = stateCookie;
  if (local.zeroChecksum) chunk.zeroChecksumMethod = ZERO_CHECKSUM_METHOD_DTLS;
  return chunk;
}

export function peerFromInit(chunk: InitChunk): PeerParameters {
  return {
    tag: chunk.initiateTag,
    initialTsn: chunk.initialTsn,
    receiveWindow: chunk.advertisedWindow,
    outboundStreams: chunk.outboundStreams,
    inboundStreams: chunk.inboundStreams,
    extensions: chunk.supportedExtensions,
    forwardTsn: chunk.forwardTsnSupported || chunk.supportedExtensions.includes(ChunkType.FORWARD_TSN),
    zeroChecksum: chunk.zeroChecksumMethod === ZERO_CHECKSUM_METHOD_DTLS,
  };
}

export function cookieContents(local: LocalParameters, peer: PeerParameters, now: number): CookieContents {
  return {
    createdAt: now,
    localTag: local.tag,
    peerTag: peer.tag,
    localInitialTsn: local.initialTsn,
    peerInitialTsn: peer.initialTsn,
    peerReceiveWindow: peer.receiveWindow,
    peerOutboundStreams: peer.outboundStreams,
    peerInboundStreams: peer.inboundStreams,
    peerExtensions: peer.extensions,
    peerForwardTsn: peer.forwardTsn,
    peerZeroChecksum: peer.zeroChecksum,
  };
}

export function peerFromCookie(cookie: CookieContents): PeerParameters {
  return {
    tag: cookie.peerTag,
    initialTsn: cookie.peerInitialTsn,
    receiveWindow: cookie.peerReceiveWindow,
    outboundStreams: cookie.peerOutboundStreams,
    inboundStreams: cookie.peerInboundStreams,
    extensions: cookie.peerExtensions,
    forwardTsn: cookie.peerForwardTsn,
    zeroChecksum: cookie.peerZeroChecksum,
  };
}

export function negotiate(local: LocalParameters, peer: PeerParameters): Negotiated {
  return {
    forwardTsn: peer.forwardTsn,
    reconfig: peer.extensions.includes(ChunkType.RE_CONFIG),
    interleaved:
      local.interleaving &&
      peer.extensions.includes(ChunkType.I_DATA) &&
      peer.extensions.includes(ChunkType.I_FORWARD_TSN),
    sendZeroChecksum: local.zeroChecksum && peer.zeroChecksum,
    // §5.1.1: each direction uses the smaller of what one side sends and the other accepts.
    outboundStreams: Math.min(local.streams, peer.inboundStreams),
    inboundStreams: Math.min(local.streams, peer.outboundStreams),
  };
}
