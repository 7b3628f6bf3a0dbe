/**
 * Signature schemes for ServerKeyExchange and CertificateVerify (RFC 5246 §7.4.1.4.1, code points from
 * IANA "TLS SignatureScheme", which TLS 1.2 reads as hash + signature bytes). Signing and verifying are
 * node:crypto's; ECDSA signatures are DER-encoded as TLS requires (RFC 8422 §5.4).
 */
import { constants, type KeyObject, sign, verify } from 'node:crypto';

export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
} as const;

export type KeyKind = 'ecdsa' | 'rsa';

interface SchemeInfo {
  kind: KeyKind;
  hash: 'sha256' | 'sha384' | 'sha512';
  pss: boolean;
}

const schemes = new Map<number, SchemeInfo>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'sha256', pss: false }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'sha384', pss: false }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { kind: 'ecdsa', hash: 'sha512', pss: false }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'rsa', hash: 'sha256', pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'rsa', hash: 'sha384', pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha512, { kind: 'rsa', hash: 'sha512', pss: true }],
  [SignatureScheme.rsa_pkcs1_sha256, { kind: 'rsa', hash: 'sha256', pss: false }],
  [SignatureScheme.rsa_pkcs1_sha384, { kind: 'rsa', hash: 'sha384', pss: false }],
  [SignatureScheme.rsa_pkcs1_sha512, { kind: 'rsa', hash: 'sha512', pss: false }],
]);

/** Everything we can verify, in our order of preference. */
export const supportedSignatureSchemes: readonly number[] = [...schemes.keys()];

export function keyKindOf(key: KeyObject): KeyKind | undefined {
  if (key.asymmetricKeyType === 'ec') return 'ecdsa';
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  return undefined;
}

/** The first scheme of `offered` (in the peer's order) that a key of `kind` can sign with. */
export function chooseSignatureScheme(kind: KeyKind, offered: readonly number[]): number | undefined {
  return offered.find((scheme) => schemes.get(scheme)?.kind === kind);
}

function keyInput(scheme: SchemeInfo, key: KeyObject) {
  return scheme.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, dsaEncoding: 'der' as const };
}

export function signWithScheme(scheme: number, key: KeyObject, data: Uint8Array): Uint8Array {
  const info = schemes.get(scheme);
  if (!info || info.kind !== keyKindOf(key))
    throw new RangeError(`cannot sign with scheme 0x${scheme.toString(16)}`);
  return sign(info.hash, data, keyInput(info, key));
}

/** False for a bad signature or for a scheme that does not fit the key. */
export function verifyWithScheme(
  scheme: number,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const info = schemes.get(scheme);
  if (!info || info.kind !== keyKindOf(key)) return false;
  try {
    return verify(info.hash, data, keyInput(info, key), signature);
  } catch {
    return false;
  }
}
