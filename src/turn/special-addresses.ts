/**
 * The address ranges a TURN relay refuses by default, and the IPv6 forms that carry an IPv4 address inside
 * them. RFC 8656 §21.2.3: a relay that sends wherever a client asks reaches the networks behind the server;
 * the IANA special-purpose registries (RFC 6890 and its updates) say which ranges are not meant to be
 * reached across the Internet. Each entry cites where the range is defined.
 */
import { type IpRange, parseIpRange, rangeContains } from './ip-range.ts';

/** RFC 1122 §3.2.1.3 and RFC 4291 §2.5.3: loopback. */
export const loopbackRanges: readonly IpRange[] = ['127.0.0.0/8', '::1/128'].map(parseIpRange);

export const deniedByDefault: readonly IpRange[] = [
  // IPv4
  '0.0.0.0/8', // "this network", with the unspecified address (RFC 791, RFC 1122 §3.2.1.3, RFC 6890 §2.2.2)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // shared address space, carrier-grade NAT (RFC 6598)
  '169.254.0.0/16', // link-local (RFC 3927)
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890 §2.2.2)
  '192.0.2.0/24', // documentation, TEST-NET-1 (RFC 5737)
  '192.88.99.0/24', // 6to4 relay anycast, deprecated (RFC 7526)
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '198.51.100.0/24', // documentation, TEST-NET-2 (RFC 5737)
  '203.0.113.0/24', // documentation, TEST-NET-3 (RFC 5737)
  '224.0.0.0/4', // multicast (RFC 5771)
  '240.0.0.0/4', // reserved (RFC 1112 §4), with the limited broadcast 255.255.255.255 (RFC 8190)
  // IPv6
  '::/96', // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1); holds :: (§2.5.2) and ::1 (§2.5.3)
  '100::/64', // discard-only (RFC 6666)
  // IETF protocol assignments (RFC 2928, RFC 6890 §2.2.3): Teredo 2001::/32 (RFC 4380), benchmarking
  // 2001:2::/48 (RFC 5180), ORCHID 2001:10::/28 (RFC 4843) and ORCHIDv2 2001:20::/28 (RFC 7343). Teredo is
  // refused whole rather than judged by the IPv4 addresses it carries (the server's in bits 32-63, the
  // client's inverted in the last 32, RFC 4380 §4): a Teredo datagram leaves through whatever Teredo relay
  // the host's routes pick, a third party whose reach cannot be judged here. An operator may allow 2001::/32.
  '2001::/23',
  '2001:db8::/32', // documentation (RFC 3849)
  '3fff::/20', // documentation (RFC 9637)
  '5f00::/16', // segment routing (SRv6) SIDs (RFC 9602)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local (RFC 4291 §2.5.6)
  'fec0::/10', // site-local, deprecated (RFC 3879)
  'ff00::/8', // multicast (RFC 4291 §2.7)
]
  .map(parseIpRange)
  .concat(loopbackRanges);

const wellKnownNat64 = parseIpRange('64:ff9b::/96'); // RFC 6052 §2.1
const localUseNat64 = parseIpRange('64:ff9b:1::/48'); // RFC 8215
const ipv4Mapped = parseIpRange('::ffff:0:0/96'); // RFC 4291 §2.5.5.2
const ipv4Translated = parseIpRange('::ffff:0:0:0/96'); // SIIT (RFC 2765 §2.1, RFC 6145 §2.1)
const sixToFour = parseIpRange('2002::/16'); // RFC 3056 §2

/**
 * The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one: undefined for an
 * ordinary IPv6 address, 'malformed' for a form whose reserved bits are not zero (refused: it names nothing
 * a translator would send to). Those forms are judged by the IPv4 address, so that 64:ff9b::10.0.0.1 is
 * refused like 10.0.0.1 and 2002:808:808:: allowed like 8.8.8.8.
 */
export function embeddedIPv4(bytes: Uint8Array): Uint8Array | 'malformed' | undefined {
  if (bytes.length !== 16) return undefined;
  if (
    rangeContains(wellKnownNat64, bytes) ||
    rangeContains(ipv4Mapped, bytes) ||
    rangeContains(ipv4Translated, bytes)
  ) {
    return bytes.slice(12, 16);
  }
  if (rangeContains(sixToFour, bytes)) return bytes.slice(2, 6);
  if (rangeContains(localUseNat64, bytes)) {
    // RFC 6052 §2.2, a /48 prefix: the IPv4 address fills bits 48-63 and 72-87 around the "u" octet (bits
    // 64-71), which must be zero. The suffix (bits 88-127) should be zero too; an address where it is not
    // was likely made with a longer prefix inside this /48 (a /56, /64 or /96 puts the IPv4 address there),
    // so its IPv4 address cannot be known and it is refused.
    if (bytes[8] !== 0 || bytes.subarray(11).some((byte) => byte !== 0)) return 'malformed';
    return Uint8Array.of(bytes[6] as number, bytes[7] as number, bytes[9] as number, bytes[10] as number);
  }
  return undefined;
}
