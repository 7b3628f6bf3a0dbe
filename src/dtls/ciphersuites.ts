/**
 * The cipher suites we speak: ECDHE key exchange, ECDSA or RSA signatures, AEAD record protection
 * (RFC 5289 for AES-GCM, RFC 7905 for ChaCha20-Poly1305), ordered by our preference.
 */
import type { PrfHash } from './prf.ts';

export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface CipherSuite {
  id: number;
  name: string;
  /** Key type the server's certificate must carry. */
  authentication: 'ecdsa' | 'rsa';
  aead: AeadAlgorithm;
  keyLength: number;
  /** Implicit IV from the key block: the GCM salt (RFC 5288 §3) or the ChaCha20 nonce mask (RFC 7905 §2). */
  fixedIvLength: number;
  /** Explicit nonce carried in every record: 8 bytes for GCM, none for ChaCha20-Poly1305. */
  explicitNonceLength: number;
  prfHash: PrfHash;
}

const suite = (
  id: number,
  name: string,
  authentication: 'ecdsa' | 'rsa',
  aead: AeadAlgorithm,
  prfHash: PrfHash,
): CipherSuite => ({
  id,
  name,
  authentication,
  aead,
  keyLength: aead === 'aes-128-gcm' ? 16 : 32,
  fixedIvLength: aead === 'chacha20-poly1305' ? 12 : 4,
  explicitNonceLength: aead === 'chacha20-poly1305' ? 0 : 8,
  prfHash,
});

export const CipherSuites = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: suite(
    0xc02b,
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'ecdsa',
    'aes-128-gcm',
    'sha256',
  ),
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: suite(
    0xc02c,
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'ecdsa',
    'aes-256-gcm',
    'sha384',
  ),
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: suite(
    0xcca9,
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'ecdsa',
    'chacha20-poly1305',
    'sha256',
  ),
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: suite(
    0xc02f,
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'rsa',
    'aes-128-gcm',
    'sha256',
  ),
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: suite(
    0xc030,
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'rsa',
    'aes-256-gcm',
    'sha384',
  ),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: suite(
    0xcca8,
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'rsa',
    'chacha20-poly1305',
    'sha256',
  ),
} as const;

/** Preference order: AES-128-GCM first (the one every WebRTC peer has), then the rest. */
export const defaultCipherSuites: readonly CipherSuite[] = Object.values(CipherSuites);

const byId = new Map<number, CipherSuite>(defaultCipherSuites.map((s) => [s.id, s]));

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return byId.get(id);
}

/** RFC 5746 §3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV, which a client may send instead of the extension. */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
