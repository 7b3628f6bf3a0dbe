/**
 * The safety code two people compare to know that no server sits between them. Each peer's DTLS
 * certificate fingerprint is in its SDP (`a=fingerprint`, RFC 8122 §5), and DTLS checks that the peer's
 * certificate matches it (RFC 8842 §5), so if both screens derive the same code from the pair of
 * fingerprints, the media and data are encrypted end to end between these two browsers. The derivation is
 * described in docs/safety-code.md and is order-independent, so both sides agree.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface Fingerprint {
  algorithm: string;
  value: string;
}

/** The first `a=fingerprint` of an SDP (session or media level), normalized; undefined if there is none. */
export function parseFingerprint(sdp: string): Fingerprint | undefined {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match) return undefined;
  return { algorithm: match[1]!.toLowerCase(), value: match[2]!.toUpperCase() };
}

/** Number of decimal digits in the code: 12 digits = 39.9 bits, shown as three groups of four. */
export const SAFETY_CODE_DIGITS = 12;

/**
 * SHA-256 over the two fingerprints as `algorithm SP HEX` lines, sorted so the order of the peers does not
 * matter, joined with LF; the first 8 bytes of the digest as a big-endian integer modulo 10^12, padded.
 */
export function safetyCode(local: Fingerprint, remote: Fingerprint): string {
  const lines = [local, remote].map((f) => `${f.algorithm} ${f.value}`).sort();
  const digest = sha256(new TextEncoder().encode(lines.join('\n')));
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** BigInt(SAFETY_CODE_DIGITS)).toString().padStart(SAFETY_CODE_DIGITS, '0');
  return digits.match(/.{4}/g)!.join(' ');
}

/** The code for a connected peer connection, once both descriptions carry fingerprints. */
export function safetyCodeOf(pc: RTCPeerConnection): string | undefined {
  const local = pc.currentLocalDescription?.sdp ?? pc.localDescription?.sdp;
  const remote = pc.currentRemoteDescription?.sdp ?? pc.remoteDescription?.sdp;
  const a = local ? parseFingerprint(local) : undefined;
  const b = remote ? parseFingerprint(remote) : undefined;
  return a && b ? safetyCode(a, b) : undefined;
}
