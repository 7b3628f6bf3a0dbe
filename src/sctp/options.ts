import type { Clock } from '../util/index.ts';
import type { SctpAssociationError } from './errors.ts';
import { DEFAULT_RTO_CONFIG, type RtoConfig } from './rto.ts';
import type { StreamResetDirection } from './stream-reset.ts';

/** The lower layer: DTLS application data in WebRTC (RFC 8261), an in-memory link in tests. */
export interface SctpTransport {
  /** Sends one packet. The buffer is reused afterwards: encrypt or copy it before returning. */
  send(packet: Uint8Array): void;
}

export type AssociationState =
  | 'closed'
  | 'cookie-wait'
  | 'cookie-echoed'
  | 'established'
  | 'shutdown-pending'
  | 'shutdown-sent'
  | 'shutdown-received'
  | 'shutdown-ack-sent';

export interface SctpAssociationOptions {
  transport: SctpTransport;
  clock?: Clock;
  /** SCTP ports; WebRTC uses 5000 on both sides unless SDP a=sctp-port says otherwise (RFC 8841). */
  localPort?: number;
  remotePort?: number;
  /** Largest SCTP packet handed to the transport. */
  maxPacketSize?: number;
  /** Largest message accepted from the peer (our a=max-message-size, RFC 8841 §6). */
  maxMessageSize?: number;
  /** Largest message the peer accepts (its a=max-message-size). */
  remoteMaxMessageSize?: number;
  receiveWindow?: number;
  streams?: number;
  rto?: Partial<RtoConfig>;
  /** RFC 9260 §16: Max.Init.Retransmits 8, Association.Max.Retrans 10, HB.interval 30 s. */
  maxInitRetransmits?: number;
  maxAssociationRetransmits?: number;
  heartbeatIntervalMs?: number;
  delayedAckMs?: number;
  /** §16 Valid.Cookie.Life, 60 s. */
  cookieLifetimeMs?: number;
  /**
   * RFC 9260 §6.1 and §16 Max.Burst: packets of new DATA sent per event (a SACK, a send batch), so a
   * widely open window never floods the socket buffers in one go. 0 disables the limit.
   */
  maxBurst?: number;
  /** First TSN; random unless given (RFC 9260 §5.3.1). Tests use it to cross the 32-bit wrap. */
  initialTsn?: number;
  /** Offer I-DATA (RFC 8260). */
  interleaving?: boolean;
  /** Offer and use RFC 9653 zero checksums (DTLS already authenticates every packet). */
  zeroChecksum?: boolean;
}

export interface SctpAssociationHandlers {
  onOpen?(): void;
  onMessage?(streamId: number, ppid: number, data: Uint8Array, unordered: boolean): void;
  /** A stream's unsent bytes went down (after a batch of packets). */
  onBufferedAmount?(streamId: number, bufferedAmount: number): void;
  onStreamsReset?(streamIds: number[], direction: StreamResetDirection, succeeded: boolean): void;
  /** The association ended: gracefully (no error) or by ABORT or a timer giving up. */
  onClose?(error?: SctpAssociationError): void;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;

/** The options with every default filled in (RFC 9260 §16 values unless noted). */
export interface ResolvedOptions {
  localPort: number;
  remotePort: number;
  maxPacketSize: number;
  maxMessageSize: number;
  remoteMaxMessageSize: number;
  receiveWindow: number;
  streams: number;
  rto: RtoConfig;
  maxInitRetransmits: number;
  maxAssociationRetransmits: number;
  heartbeatIntervalMs: number;
  delayedAckMs: number;
  cookieLifetimeMs: number;
  maxBurst: number;
  interleaving: boolean;
  zeroChecksum: boolean;
}

export function resolveOptions(options: SctpAssociationOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    localPort: options.localPort ?? 5000,
    remotePort: options.remotePort ?? 5000,
    maxPacketSize: options.maxPacketSize ?? 1200,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    remoteMaxMessageSize: options.remoteMaxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    // Large enough that one window covers a high bandwidth-delay product (4 MiB, like browsers).
    receiveWindow: options.receiveWindow ?? 4 * 1024 * 1024,
    streams: Math.min(options.streams ?? 65535, 65535),
    rto: { ...DEFAULT_RTO_CONFIG, ...options.rto },
    maxInitRetransmits: options.maxInitRetransmits ?? 8,
    maxAssociationRetransmits: options.maxAssociationRetransmits ?? 10,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
    // §6.2: SACK within 200 ms.
    delayedAckMs: options.delayedAckMs ?? 200,
    cookieLifetimeMs: options.cookieLifetimeMs ?? 60_000,
    maxBurst: options.maxBurst ?? 4,
    interleaving: options.interleaving ?? true,
    zeroChecksum: options.zeroChecksum ?? true,
  };
  if (resolved.maxPacketSize < 256) throw new RangeError('maxPacketSize below 256 bytes');
  if (resolved.streams < 1) throw new RangeError('at least one stream is needed');
  return resolved;
}
