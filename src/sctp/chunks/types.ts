/** Chunk type codes (RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1, RFC 8260 §2.1 and §2.3). */
export const ChunkType = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
  I_DATA: 64,
  RE_CONFIG: 130,
  FORWARD_TSN: 192,
  I_FORWARD_TSN: 194,
} as const;

/** Error cause codes (RFC 9260 §3.3.10, RFC 6525 has none; 13 is from RFC 9260 too). */
export const ErrorCauseCode = {
  INVALID_STREAM_IDENTIFIER: 1,
  MISSING_MANDATORY_PARAMETER: 2,
  STALE_COOKIE: 3,
  OUT_OF_RESOURCE: 4,
  UNRECOGNIZED_CHUNK_TYPE: 6,
  INVALID_MANDATORY_PARAMETER: 7,
  UNRECOGNIZED_PARAMETERS: 8,
  NO_USER_DATA: 9,
  COOKIE_RECEIVED_WHILE_SHUTTING_DOWN: 10,
  USER_INITIATED_ABORT: 12,
  PROTOCOL_VIOLATION: 13,
} as const;

/** DATA (type 0) and I-DATA (type 64, RFC 8260 §2.1) share one shape. */
export interface DataChunk {
  type: typeof ChunkType.DATA | typeof ChunkType.I_DATA;
  /** U bit: deliver as soon as reassembled, ignoring the stream order. */
  unordered: boolean;
  beginning: boolean;
  ending: boolean;
  /** I bit (RFC 7053): the sender asks for a SACK without delay. */
  immediate: boolean;
  tsn: number;
  streamId: number;
  /** The SSN (16 bits) for DATA, the Message Identifier (32 bits) for I-DATA. */
  sequence: number;
  /** I-DATA Fragment Sequence Number; 0 for DATA and for the first fragment of an I-DATA message. */
  fragment: number;
  /** Payload protocol identifier. I-DATA carries it only on the first fragment; 0 elsewhere. */
  ppid: number;
  payload: Uint8Array;
}

/** The fixed fields of INIT and INIT ACK (RFC 9260 §3.3.2, §3.3.3) and the parameters Dyad understands. */
export interface InitChunk {
  type: typeof ChunkType.INIT | typeof ChunkType.INIT_ACK;
  initiateTag: number;
  advertisedWindow: number;
  outboundStreams: number;
  inboundStreams: number;
  initialTsn: number;
  /** INIT ACK only: the opaque State Cookie parameter (type 7). */
  stateCookie?: Uint8Array;
  /** RFC 5061 §4.2.7 Supported Extensions (0x8008): chunk types the sender understands. */
  supportedExtensions: number[];
  /** RFC 3758 §3.1 Forward-TSN-Supported parameter (0xC000). */
  forwardTsnSupported: boolean;
  /** RFC 9653 Zero Checksum Acceptable (0x8001): the Error Detection Method Identifier offered. */
  zeroChecksumMethod?: number;
  /**
   * Raw parameter TLVs (without padding) to report or reported: in INIT, unknown parameters whose type
   * asks for a report (RFC 9260 §3.2.1); in INIT ACK, the Unrecognized Parameter bodies (type 8).
   */
  unrecognizedParameters: Uint8Array[];
}

export interface GapAckBlock {
  /** Offsets from the cumulative TSN ack, inclusive (RFC 9260 §3.3.4). */
  start: number;
  end: number;
}

export interface SackChunk {
  type: typeof ChunkType.SACK;
  cumulativeTsnAck: number;
  advertisedWindow: number;
  gapBlocks: GapAckBlock[];
  duplicateTsns: number[];
}

export interface HeartbeatChunk {
  type: typeof ChunkType.HEARTBEAT | typeof ChunkType.HEARTBEAT_ACK;
  /** The Heartbeat Info parameter body (type 1), opaque to the receiver. */
  info: Uint8Array;
}

export interface ErrorCause {
  code: number;
  body: Uint8Array;
}

export interface AbortChunk {
  type: typeof ChunkType.ABORT;
  /** T bit: the verification tag is the receiver's own, reflected (RFC 9260 §3.3.7). */
  reflectedTag: boolean;
  causes: ErrorCause[];
}

export interface ErrorChunk {
  type: typeof ChunkType.ERROR;
  causes: ErrorCause[];
}

export interface ShutdownChunk {
  type: typeof ChunkType.SHUTDOWN;
  cumulativeTsnAck: number;
}

export interface BareChunk {
  type: typeof ChunkType.SHUTDOWN_ACK | typeof ChunkType.COOKIE_ACK;
}

export interface ShutdownCompleteChunk {
  type: typeof ChunkType.SHUTDOWN_COMPLETE;
  reflectedTag: boolean;
}

export interface CookieEchoChunk {
  type: typeof ChunkType.COOKIE_ECHO;
  cookie: Uint8Array;
}

export interface ForwardTsnStream {
  streamId: number;
  /** SSN for FORWARD-TSN, MID for I-FORWARD-TSN. */
  sequence: number;
  /** I-FORWARD-TSN only: the entry is about unordered messages. */
  unordered: boolean;
}

export interface ForwardTsnChunk {
  type: typeof ChunkType.FORWARD_TSN | typeof ChunkType.I_FORWARD_TSN;
  newCumulativeTsn: number;
  streams: ForwardTsnStream[];
}

/** RE-CONFIG parameter types (RFC 6525 §4). */
export const ReconfigParameterType = {
  OUTGOING_SSN_RESET_REQUEST: 13,
  INCOMING_SSN_RESET_REQUEST: 14,
  SSN_TSN_RESET_REQUEST: 15,
  RECONFIGURATION_RESPONSE: 16,
  ADD_OUTGOING_STREAMS_REQUEST: 17,
  ADD_INCOMING_STREAMS_REQUEST: 18,
} as const;

/** Re-configuration Response results (RFC 6525 §4.4). */
export const ReconfigResult = {
  SUCCESS_NOTHING_TO_DO: 0,
  SUCCESS_PERFORMED: 1,
  DENIED: 2,
  ERROR_WRONG_SSN: 3,
  ERROR_REQUEST_ALREADY_IN_PROGRESS: 4,
  ERROR_BAD_SEQUENCE_NUMBER: 5,
  IN_PROGRESS: 6,
} as const;

export interface OutgoingResetRequest {
  type: typeof ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST;
  requestSequence: number;
  responseSequence: number;
  senderLastTsn: number;
  streams: number[];
}

export interface ReconfigResponse {
  type: typeof ReconfigParameterType.RECONFIGURATION_RESPONSE;
  responseSequence: number;
  result: number;
}

/** A request Dyad does not carry out (incoming, SSN/TSN and add-streams requests): answered "Denied". */
export interface OtherReconfigRequest {
  type:
    | typeof ReconfigParameterType.INCOMING_SSN_RESET_REQUEST
    | typeof ReconfigParameterType.SSN_TSN_RESET_REQUEST
    | typeof ReconfigParameterType.ADD_OUTGOING_STREAMS_REQUEST
    | typeof ReconfigParameterType.ADD_INCOMING_STREAMS_REQUEST;
  requestSequence: number;
}

export type ReconfigParameter = OutgoingResetRequest | ReconfigResponse | OtherReconfigRequest;

export interface ReconfigChunk {
  type: typeof ChunkType.RE_CONFIG;
  parameters: ReconfigParameter[];
}

/** A chunk type this implementation does not know; its top two type bits say what to do (§3.2). */
export interface UnknownChunk {
  type: number;
  unknown: true;
  flags: number;
  value: Uint8Array;
}

export type Chunk =
  | DataChunk
  | InitChunk
  | SackChunk
  | HeartbeatChunk
  | AbortChunk
  | ErrorChunk
  | ShutdownChunk
  | BareChunk
  | ShutdownCompleteChunk
  | CookieEchoChunk
  | ForwardTsnChunk
  | ReconfigChunk;

/** Total chunk length including padding to a multiple of four (RFC 9260 §3.2). */
export function padded(length: number): number {
  return (length + 3) & ~3;
}
