/** CIDR ranges ("10.0.0.0/8", "fe80::/10", or one address) over the address bytes of src/stun's parseIp. */
import { parseIp } from '../stun/index.ts';

export interface IpRange {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/**
 * Parses "10.0.0.0/8", "fe80::/10" or a single address (a /32 or /128). Throws an Error whose message is a
 * sentence naming the bad text, since it reaches users through the CLI's options.
 */
export function parseIpRange(text: string): IpRange {
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!ip) {
    throw new Error(
      `"${text}" is not an IP address or a CIDR range such as 203.0.113.0/24 or 2001:db8::/32.`,
    );
  }
  const max = ip.bytes.length * 8;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : String(max);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    throw new Error(`"${text}" has a bad prefix length: an ${ip.family} prefix is 0 to ${max} bits.`);
  }
  return { bytes: ip.bytes, prefix };
}

/** True when the address bytes (4 or 16) fall in the range; an address of the other family never does. */
export function rangeContains(range: IpRange, address: Uint8Array): boolean {
  if (range.bytes.length !== address.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((range.bytes[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
  }
  return true;
}
