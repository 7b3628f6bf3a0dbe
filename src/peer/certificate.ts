/**
 * W3C WebRTC §4.9 RTCCertificate and RTCPeerConnection.generateCertificate (§4.10): the DTLS identity
 * of a connection, made by src/dtls (ECDSA P-256 by default, RSA 2048 on request).
 */
import { type DtlsCertificate, generateCertificate as generateDtlsCertificate } from '../dtls/index.ts';

/** W3C §5.5.1 RTCDtlsFingerprint. */
export interface RTCDtlsFingerprint {
  algorithm: string;
  /** Lower-case hex pairs joined by colons (W3C §5.5.1, RFC 8122 §5 syntax). */
  value: string;
}

const certificates = new WeakMap<RTCCertificate, DtlsCertificate>();

export class RTCCertificate {
  /** Milliseconds since the epoch after which the certificate is no longer valid. */
  readonly expires: number;

  /** Not for applications: certificates come from RTCPeerConnection.generateCertificate. */
  constructor(certificate: DtlsCertificate) {
    this.expires = certificate.expires.getTime();
    certificates.set(this, certificate);
  }

  getFingerprints(): RTCDtlsFingerprint[] {
    const { algorithm, value } = dtlsCertificateOf(this).fingerprint;
    return [{ algorithm, value: value.toLowerCase() }];
  }
}

export function dtlsCertificateOf(certificate: RTCCertificate): DtlsCertificate {
  const dtls = certificates.get(certificate);
  if (!dtls) throw new TypeError('not an RTCCertificate made by generateCertificate');
  return dtls;
}

export type KeygenAlgorithm =
  | string
  | {
      name: string;
      namedCurve?: string;
      modulusLength?: number;
      publicExponent?: Uint8Array;
      hash?: string | { name: string };
      /** Non-standard (Chromium too): lifetime in milliseconds. */
      expires?: number;
    };

/** W3C §4.10: browsers must support ECDSA P-256 and RSASSA-PKCS1-v1_5 2048 with SHA-256. */
export function generateRtcCertificate(algorithm: KeygenAlgorithm): RTCCertificate {
  const params = typeof algorithm === 'string' ? { name: algorithm } : algorithm;
  const name = params.name?.toUpperCase();
  const lifetimeMs = params.expires;
  if (lifetimeMs !== undefined && !(lifetimeMs > 0)) throw new TypeError('expires must be positive');
  if (name === 'ECDSA') {
    if (params.namedCurve !== 'P-256') throw notSupported('ECDSA needs namedCurve P-256');
    return new RTCCertificate(generateDtlsCertificate({ keyType: 'ecdsa', lifetimeMs }));
  }
  if (name === 'RSASSA-PKCS1-V1_5') {
    const hash = typeof params.hash === 'string' ? params.hash : params.hash?.name;
    const exponent = params.publicExponent ? Buffer.from(params.publicExponent).toString('hex') : '010001';
    if ((params.modulusLength ?? 2048) !== 2048 || exponent.replace(/^0+/, '') !== '10001') {
      throw notSupported('RSASSA-PKCS1-v1_5 needs modulusLength 2048 and publicExponent 65537');
    }
    if (hash !== undefined && hash.toUpperCase() !== 'SHA-256') throw notSupported('RSA needs hash SHA-256');
    return new RTCCertificate(generateDtlsCertificate({ keyType: 'rsa', lifetimeMs }));
  }
  throw notSupported(`key algorithm ${params.name} is not supported`);
}

export function notSupported(message: string): DOMException {
  return new DOMException(message, 'NotSupportedError');
}
