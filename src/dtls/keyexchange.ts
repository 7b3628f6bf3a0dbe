/**
 * Ephemeral ECDH for the ECDHE key exchange (RFC 8422): X25519 (RFC 7748, 32-byte points) and P-256
 * (uncompressed points only, RFC 8422 §5.1.2). All arithmetic is node:crypto's.
 */
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { AlertDescription, DtlsAlertError } from './alert.ts';

/** IANA "TLS Supported Groups". */
export const NamedGroup = { secp256r1: 23, x25519: 29 } as const;

export const defaultGroups: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1];

export interface EcdheKeyPair {
  group: number;
  /** Our public value as it goes on the wire. */
  publicKey: Uint8Array;
  /** The pre-master secret from the peer's public value; throws DtlsAlertError(illegal_parameter) on a bad point. */
  sharedSecret(peerPublicKey: Uint8Array): Uint8Array;
}

function illegalPoint(reason: string): DtlsAlertError {
  return new DtlsAlertError(AlertDescription.illegal_parameter, `bad ECDHE public value: ${reason}`);
}

function x25519KeyPair(): EcdheKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    group: NamedGroup.x25519,
    publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
    sharedSecret(peer) {
      if (peer.length !== 32) throw illegalPoint(`X25519 value of ${peer.length} bytes`);
      const peerKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
        format: 'jwk',
      });
      const secret = diffieHellman({ privateKey, publicKey: peerKey });
      // RFC 8422 §5.11: an all-zero X25519 result means a small-order point; abort.
      if (secret.every((byte) => byte === 0)) throw illegalPoint('X25519 result is all zeros');
      return secret;
    },
  };
}

function p256KeyPair(): EcdheKeyPair {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  return {
    group: NamedGroup.secp256r1,
    publicKey,
    sharedSecret(peer) {
      if (peer.length !== 65 || peer[0] !== 4) throw illegalPoint('P-256 point is not uncompressed');
      try {
        return ecdh.computeSecret(peer);
      } catch {
        throw illegalPoint('P-256 point is not on the curve');
      }
    },
  };
}

export function generateEcdheKeyPair(group: number): EcdheKeyPair {
  if (group === NamedGroup.x25519) return x25519KeyPair();
  if (group === NamedGroup.secp256r1) return p256KeyPair();
  throw new DtlsAlertError(AlertDescription.illegal_parameter, `unsupported group ${group}`);
}
