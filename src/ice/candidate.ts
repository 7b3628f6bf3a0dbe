/**
 * Candidate arithmetic of RFC 8445: priorities (§5.1.2), foundations (§5.1.1.3) and pair priorities
 * (§6.1.2.3). Candidates travel in the SDP form of src/sdp; the agent adds the socket (base) they use.
 */
import type { IceCandidate, IceCandidateType } from '../sdp/index.ts';
import type { IceSocket } from './transport.ts';

/** RFC 8445 §5.1.2.2 recommended type preferences. */
export const typePreference: Readonly<Record<IceCandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/** RFC 8445 §5.1.2.1: priority = 2^24 × type pref + 2^8 × local pref + (256 − component ID). */
export function candidatePriority(
  type: IceCandidateType,
  localPreference: number,
  component: number,
): number {
  if (localPreference < 0 || localPreference > 65535) throw new RangeError('local preference is 0..65535');
  if (component < 1 || component > 256) throw new RangeError('component ID is 1..256');
  return typePreference[type] * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/** The local preference bits of a priority (for a peer-reflexive candidate learnt from the same base). */
export function localPreferenceOf(priority: number): number {
  return Math.floor(priority / 2 ** 8) & 0xffff;
}

/**
 * RFC 8445 §6.1.2.3: pair priority = 2^32 × MIN(G, D) + 2 × MAX(G, D) + (G > D ? 1 : 0), where G is the
 * controlling agent's candidate priority and D the controlled agent's. It needs 64 bits, hence bigint.
 */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling);
  const d = BigInt(controlled);
  const [min, max] = g < d ? [g, d] : [d, g];
  return (min << 32n) + 2n * max + (g > d ? 1n : 0n);
}

/**
 * RFC 8445 §5.1.1.3: candidates share a foundation when they have the same type, base IP address, STUN or
 * TURN server IP address and transport. Foundations are short strings of ice-chars (RFC 8839 §5.1).
 */
export class FoundationAllocator {
  readonly #assigned = new Map<string, string>();

  foundationFor(
    type: IceCandidateType,
    baseAddress: string,
    serverAddress: string | undefined,
    transport = 'udp',
  ): string {
    const key = `${type}|${baseAddress}|${serverAddress ?? ''}|${transport.toLowerCase()}`;
    let foundation = this.#assigned.get(key);
    if (!foundation) {
      foundation = `${this.#assigned.size + 1}`;
      this.#assigned.set(key, foundation);
    }
    return foundation;
  }
}

/** A candidate of ours: its SDP form plus the socket it is sent from (its base, RFC 8445 §5.1.1). */
export interface LocalCandidate {
  readonly candidate: IceCandidate;
  readonly socket: IceSocket;
}

/** A remote candidate, with the address an mDNS name resolved to when it was one. */
export interface RemoteCandidate {
  readonly candidate: IceCandidate;
  /** The IP address checks are sent to: `candidate.address`, or what its `.local` name resolved to. */
  readonly address: string;
}

export const addressKey = (address: string, port: number) => `${address}|${port}`;

/** A browser's hidden host address: an mDNS name of the form `<uuid>.local` (RFC 6762, draft-ietf-mmusic-mdns-ice-candidates). */
export function isMdnsName(address: string): boolean {
  return /\.local\.?$/i.test(address);
}

/**
 * A STUN or TURN server that gave no candidate during gathering (W3C webrtc-pc §4.8.2
 * RTCPeerConnectionIceErrorEvent): its STUN error code (300–699), or 701 when it could not be reached.
 */
export interface IceCandidateError {
  /** The local address used to reach the server, when it is already exposed in a host candidate. */
  readonly address: string | null;
  readonly port: number | null;
  /** The server's URL as configured. */
  readonly url: string;
  readonly errorCode: number;
  readonly errorText: string;
}
