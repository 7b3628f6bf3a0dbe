/**
 * IP address text <-> bytes. STUN carries addresses as 4 or 16 raw bytes (RFC 8489 §14.1); Node's sockets
 * speak text. Parsing is strict: anything that is not a dotted quad or an RFC 4291 §2.2 IPv6 text form is
 * rejected with undefined, so a caller can turn it into its own typed error.
 */
export type IpFamily = 'IPv4' | 'IPv6';

/** A transport address as STUN and Node sockets both see it. */
export interface TransportAddress {
  readonly family: IpFamily;
  readonly address: string;
  readonly port: number;
}

export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  // A zone index (fe80::1%eth0) names an interface, not part of the address.
  const zone = text.indexOf('%');
  const bare = zone >= 0 ? text.slice(0, zone) : text;
  let head = bare;
  let tail = '';
  const gap = bare.indexOf('::');
  if (gap >= 0) {
    if (bare.indexOf('::', gap + 1) >= 0) return undefined;
    head = bare.slice(0, gap);
    tail = bare.slice(gap + 2);
  }
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const pushGroups = (groups: string[], target: number[]): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as string;
      if (i === groups.length - 1 && group.includes('.')) {
        // RFC 4291 §2.2 form 3: the last 32 bits as a dotted quad.
        const v4 = parseIPv4(group);
        if (!v4) return false;
        target.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
      target.push(Number.parseInt(group, 16));
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!pushGroups(headGroups, words) || !pushGroups(tailGroups, tailWords)) return undefined;
  if (gap >= 0) {
    const missing = 8 - words.length - tailWords.length;
    if (missing < 1) return undefined;
    for (let i = 0; i < missing; i++) words.push(0);
  }
  words.push(...tailWords);
  if (words.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (words[i] as number) >> 8;
    out[i * 2 + 1] = (words[i] as number) & 0xff;
  }
  return out;
}

/** Bytes of an IPv4 or IPv6 address in text, with its family; undefined when it is neither. */
export function parseIp(text: string): { family: IpFamily; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 'IPv4', bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 'IPv6', bytes: v6 };
  return undefined;
}

/** Text of 4 or 16 address bytes; IPv6 in the RFC 5952 canonical form (lower case, longest zero run as ::). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    words
      .slice(from, to)
      .map((word) => word.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
