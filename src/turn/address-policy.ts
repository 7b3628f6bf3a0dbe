/**
 * Which peers a TURN allocation may relay to. An open relay into the server's own networks is the classic
 * TURN vulnerability (RFC 8656 §21.2.3 "Attacker Sends a Packet to ... a Private Network"), so special-purpose
 * ranges are refused unless the operator allows them.
 */
import { parseIp } from '../stun/index.ts';

export interface IpRange {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Parses "10.0.0.0/8", "fe80::/10" or a single address (a /32 or /128). Throws on bad input. */
export function parseIpRange(text: string): IpRange {
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!ip) throw new Error(`not an IP range: ${text}`);
  const max = ip.bytes.length * 8;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : String(max);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) throw new Error(`bad prefix length in ${text}`);
  return { bytes: ip.bytes, prefix };
}

export function rangeContains(range: IpRange, address: Uint8Array): boolean {
  if (range.bytes.length !== address.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((range.bytes[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
  }
  return true;
}

const loopbackRanges = ['127.0.0.0/8', '::1/128'];

/** Refused by default (IANA special-purpose registries, RFC 6890). */
const deniedByDefault = [
  '0.0.0.0/8', // "this network", including the unspecified address (RFC 1122)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598)
  '169.254.0.0/16', // link-local (RFC 3927)
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890)
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '224.0.0.0/4', // multicast (RFC 5771)
  '240.0.0.0/4', // reserved, including broadcast 255.255.255.255 (RFC 1112)
  '::/128', // unspecified (RFC 4291)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local (RFC 4291)
  'ff00::/8', // multicast (RFC 4291)
  ...loopbackRanges,
].map(parseIpRange);

/** IPv6 prefixes that embed an IPv4 address in their last 32 bits: IPv4-mapped and NAT64 (RFC 6052). */
const embedsIPv4 = ['::ffff:0:0/96', '64:ff9b::/96', '::/96'].map(parseIpRange);

export interface PeerPolicyOptions {
  /** Allows 127.0.0.0/8 and ::1 (for tests on one machine). */
  readonly allowLoopbackPeers?: boolean;
  /** CIDR ranges allowed even though they are denied by default, e.g. a LAN the operator serves. */
  readonly allowedPeerRanges?: readonly string[];
}

export class PeerAddressPolicy {
  readonly #allowed: IpRange[];

  constructor(options: PeerPolicyOptions = {}) {
    this.#allowed = (options.allowedPeerRanges ?? []).map(parseIpRange);
    if (options.allowLoopbackPeers) this.#allowed.push(...loopbackRanges.map(parseIpRange));
  }

  /** True when relaying to this address is permitted. */
  allows(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    if (this.#allowed.some((range) => rangeContains(range, ip.bytes))) return true;
    if (ip.bytes.length === 16 && embedsIPv4.some((range) => rangeContains(range, ip.bytes))) {
      // Judge the embedded IPv4 address, so ::ffff:10.0.0.1 is refused like 10.0.0.1.
      const v4 = ip.bytes.subarray(12);
      if (this.#allowed.some((range) => rangeContains(range, v4))) return true;
      if (deniedByDefault.some((range) => rangeContains(range, v4))) return false;
    }
    return !deniedByDefault.some((range) => rangeContains(range, ip.bytes));
  }
}
