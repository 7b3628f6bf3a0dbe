/**
 * Keys for MESSAGE-INTEGRITY (RFC 8489 §9). Strings are prepared first: RFC 8489 uses the PRECIS
 * OpaqueString profile (RFC 8265), RFC 5389 used SASLprep (RFC 4013). For the ASCII that real deployments
 * use both are the identity; for other text we apply the SASLprep mapping (RFC 4013 §2.1, RFC 3454 B.1 and
 * C.1.2) followed by NFKC, which is what peers derived from RFC 5389 stacks do, and what the RFC 5769 §2.4
 * vector expects.
 */
import { createHash } from 'node:crypto';

function inRanges(code: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([from, to]) => code >= from && code <= to);
}

// RFC 3454 table C.1.2: non-ASCII spaces, mapped to U+0020.
const nonAsciiSpaces = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
] as const;
// RFC 3454 table B.1: code points mapped to nothing.
const mappedToNothing = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200c, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
] as const;

/** RFC 4013 §2.1-2.2: the mapping and normalization steps of SASLprep. */
export function prepareCredential(text: string): string {
  // The ASCII fast path: nothing to map or normalize.
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  let mapped = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (inRanges(code, nonAsciiSpaces)) mapped += ' ';
    else if (!inRanges(code, mappedToNothing)) mapped += char;
  }
  return mapped.normalize('NFKC');
}

const encoder = new TextEncoder();

/** RFC 8489 §9.1.1: the short-term key is the prepared password itself. */
export function shortTermKey(password: string): Uint8Array {
  return encoder.encode(prepareCredential(password));
}

export type PasswordAlgorithm = 'md5' | 'sha256';

/** RFC 8489 §9.2.2: key = H(username ":" realm ":" password), H being MD5 unless SHA-256 was negotiated. */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: PasswordAlgorithm = 'md5',
): Uint8Array {
  return createHash(algorithm)
    .update(
      `${prepareCredential(username)}:${prepareCredential(realm)}:${prepareCredential(password)}`,
      'utf8',
    )
    .digest();
}

/** RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm). */
export function userHash(username: string, realm: string): Uint8Array {
  return createHash('sha256')
    .update(`${prepareCredential(username)}:${prepareCredential(realm)}`, 'utf8')
    .digest();
}
