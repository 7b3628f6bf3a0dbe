/** The agent's options, events and states. */
import type { ConnectionOptions } from 'node:tls';
import type { IceCandidate } from '../sdp/index.ts';
import { type Clock, randomBytes } from '../util/index.ts';
import type { IceCandidateError } from './candidate.ts';
import type { CandidatePair } from './checklist.ts';
import type { IceAgentCounters, IceParameters } from './checks.ts';
import type { DatagramErrorReporter } from './datagram-boundary.ts';
import type { IceServer } from './gatherer.ts';
import type { IceRole } from './messages.ts';
import type { IceEndpoint, IceTransport } from './transport.ts';

export type { IceAgentCounters, IceParameters };

/** W3C RTCIceTransportState. */
export type IceConnectionState =
  | 'new'
  | 'checking'
  | 'connected'
  | 'completed'
  | 'disconnected'
  | 'failed'
  | 'closed';
/** W3C RTCIceGathererState. */
export type IceGatheringState = 'new' | 'gathering' | 'complete';

export interface IceAgentOptions {
  readonly role?: IceRole;
  readonly clock?: Clock;
  /** Sockets and interfaces; default real ones (node:dgram, node:os) with mDNS resolution. */
  readonly transport?: IceTransport;
  /** STUN servers give server-reflexive candidates, TURN servers (turn:, turns:) relayed ones. */
  readonly iceServers?: readonly IceServer[];
  /** W3C RTCIceTransportPolicy: 'relay' gathers relayed candidates only. Default 'all'. */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** TLS options (trust anchors, ...) for `turns:` servers. */
  readonly turnTls?: ConnectionOptions;
  /** Gather loopback addresses too (tests on one machine). Default false. */
  readonly includeLoopback?: boolean;
  /** Gather IPv6 addresses. Default true. */
  readonly ipv6?: boolean;
  /** RFC 8445 §14.2 pacing interval Ta. Default 50 ms. */
  readonly taMs?: number;
  /** RFC 8445 §14.3 check RTO. Default 500 ms. */
  readonly checkRtoMs?: number;
  /** Transmissions of one check before it fails (RFC 8489 Rc). Default 7. */
  readonly checkMaxTransmissions?: number;
  /** Controlling agent: how long to wait for better pairs after the first valid one before nominating. */
  readonly nominationDelayMs?: number;
  /** RFC 7675 §5.1 consent check interval (randomized ±20 %). Default 5000 ms. */
  readonly consentIntervalMs?: number;
  /** RFC 7675 §5.1 consent expiry: no response for this long fails the agent. Default 30 s. */
  readonly consentTimeoutMs?: number;
  /** No consent response for this long makes the state 'disconnected'. Default 7500 ms. */
  readonly disconnectedTimeoutMs?: number;
  /** RFC 8445 §6.1.2.5 limit on pairs. Default 100. */
  readonly maxPairs?: number;
  readonly tieBreaker?: bigint;
  readonly localParameters?: IceParameters;
  /** Source of randomness for timer jitter (tests pass a seeded one). */
  readonly random?: () => number;
  /**
   * Where the rate-limited reports of datagrams dropped because their processing threw go (kinds and
   * counts only); a process warning by default.
   */
  readonly reportDatagramError?: DatagramErrorReporter;
}

export interface IceAgentEvents {
  /** A local candidate to signal; undefined means end-of-candidates (RFC 8838 §4.1). */
  candidate: [candidate: IceCandidate | undefined];
  statechange: [state: IceConnectionState];
  gatheringstatechange: [state: IceGatheringState];
  selectedpairchange: [pair: CandidatePair];
  candidateerror: [error: IceCandidateError];
  /** A non-STUN datagram from the peer (DTLS, SRTP, ...). */
  data: [data: Uint8Array, from: IceEndpoint];
}

const iceChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 8445 §5.3: ufrag with at least 24 bits of randomness, password with at least 128. */
function randomIceString(length: number): string {
  return [...randomBytes(length)].map((byte) => iceChars[byte & 63]).join('');
}

export function generateIceParameters(): IceParameters {
  return { usernameFragment: randomIceString(8), password: randomIceString(24) };
}
