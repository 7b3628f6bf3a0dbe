/**
 * Which peers a TURN allocation may relay to. An open relay into the server's own networks is the classic
 * TURN vulnerability (RFC 8656 §21.2.3 "Attacker Sends a Packet to ... a Private Network"), so
 * special-purpose ranges (special-addresses.ts) and the server's own addresses are refused unless the
 * operator allows them.
 *
 * Precedence, as coturn's allowed-peer-ip and denied-peer-ip have it: an address the operator allows is
 * allowed, even when the operator also denies it and whatever the defaults say (the server's own addresses
 * included); else one the operator denies is denied; else the defaults decide. An IPv6 address that carries
 * an IPv4 address (NAT64, 6to4, IPv4-mapped and -translated) is judged by that IPv4 address too.
 */
import { formatIp, parseIp } from '../stun/index.ts';
import { type IpRange, parseIpRange, rangeContains } from './ip-range.ts';
import { deniedByDefault, embeddedIPv4, loopbackRanges } from './special-addresses.ts';

export interface PeerPolicyOptions {
  /** Allows 127.0.0.0/8 and ::1 (tests on one machine): shorthand for allowing those ranges. */
  readonly allowLoopbackPeers?: boolean;
  /** CIDR ranges allowed whatever else says no, e.g. a LAN the operator serves. */
  readonly allowedPeerRanges?: readonly string[];
  /** CIDR ranges refused although the defaults would allow them (unless also allowed). */
  readonly deniedPeerRanges?: readonly string[];
  /**
   * The server's own addresses (interfaces, listen and relay addresses): refused as peers, since any UDP
   * service on the TURN host would otherwise be reachable through it. The relayed addresses of the server's
   * live allocations are reached inside the server instead (TurnServerCore).
   */
  readonly serverAddresses?: readonly string[];
}

/** Parses an option's ranges; a bad one throws an Error naming the option and the value. */
function parseOptionRanges(option: string, texts: readonly string[] | undefined): IpRange[] {
  return (texts ?? []).map((text) => {
    try {
      return parseIpRange(text);
    } catch (error) {
      throw new Error(`Invalid ${option} entry: ${(error as Error).message}`);
    }
  });
}

const matchesAny = (ranges: readonly IpRange[], bytes: Uint8Array) =>
  ranges.some((range) => rangeContains(range, bytes));

/** What the operator's lists are matched against: the address, and the IPv4 address it carries if any. */
const judgedForms = (bytes: Uint8Array, embedded: ReturnType<typeof embeddedIPv4>) =>
  embedded instanceof Uint8Array ? [bytes, embedded] : [bytes];

export class PeerAddressPolicy {
  readonly #allowed: IpRange[];
  readonly #denied: IpRange[];
  readonly #server: IpRange[];
  /** Canonical text of the server's addresses this policy refuses, for a per-packet check. */
  readonly #refusedServerAddresses = new Set<string>();

  constructor(options: PeerPolicyOptions = {}) {
    this.#allowed = parseOptionRanges('allowedPeerRanges', options.allowedPeerRanges);
    if (options.allowLoopbackPeers) this.#allowed.push(...loopbackRanges);
    this.#denied = parseOptionRanges('deniedPeerRanges', options.deniedPeerRanges);
    this.#server = [];
    for (const address of options.serverAddresses ?? []) {
      const ip = parseIp(address);
      if (!ip) continue;
      this.#server.push({ bytes: ip.bytes, prefix: ip.bytes.length * 8 });
    }
    for (const range of this.#server) {
      const text = formatIp(range.bytes);
      if (!this.allows(text)) this.#refusedServerAddresses.add(text);
    }
  }

  /** True when relaying to this address is permitted. */
  allows(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    const embedded = embeddedIPv4(ip.bytes);
    const judged = judgedForms(ip.bytes, embedded);
    if (judged.some((bytes) => matchesAny(this.#allowed, bytes))) return true;
    if (judged.some((bytes) => matchesAny(this.#denied, bytes))) return false;
    if (embedded === 'malformed') return false;
    // The embedding prefixes themselves are not special: the address stands for its IPv4 address.
    const target = embedded ?? ip.bytes;
    return !matchesAny(this.#server, target) && !matchesAny(deniedByDefault, target);
  }

  /** True when the operator's deniedPeerRanges refuse this address and allowedPeerRanges do not allow it. */
  operatorDenies(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    const judged = judgedForms(ip.bytes, embeddedIPv4(ip.bytes));
    if (judged.some((bytes) => matchesAny(this.#allowed, bytes))) return false;
    return judged.some((bytes) => matchesAny(this.#denied, bytes));
  }

  /**
   * True for one of the server's own addresses that peers may not be sent to, in canonical text (as
   * XOR-PEER-ADDRESS decodes). A permission for it exists only to reach a live allocation's relayed
   * address, which the core delivers inside the server; anything else sent there is dropped.
   */
  isRefusedServerAddress(canonicalAddress: string): boolean {
    return this.#refusedServerAddresses.has(canonicalAddress);
  }
}
