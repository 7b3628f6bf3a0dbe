/**
 * W3C WebRTC §4.9 RTCCertificate and RTCPeerConnection.generateCertificate (§4.10): the DTLS identity
 * of a connection, made by src/dtls (ECDSA P-256 by default, RSA 2048 on request).
 */
import {
  type DtlsCertificate,
  generateCertificateInBackground,
  generateCertificate as generateDtlsCertificate,
} from '../dtls/index.ts';

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

export interface CertificateReserveOptions {
  generate(): DtlsCertificate;
  generateInBackground(): Promise<DtlsCertificate>;
  /** How many certificates to keep made ahead. */
  spares: number;
  /** A spare made longer ago than this is dropped: its validity period has started to run out. */
  maxAgeMs: number;
}

/**
 * The certificates of connections whose configuration brings none. Every connection still gets a key of its
 * own, but it is made ahead: spares wait, generated one at a time on libuv's thread pool, so that
 * `new RTCPeerConnection()` does not spend the ~150 µs of a P-256 key and signature on its event loop.
 */
export class CertificateReserve {
  readonly #options: CertificateReserveOptions;
  readonly #spares: { certificate: DtlsCertificate; madeAt: number }[] = [];
  #refilling = false;

  constructor(options: CertificateReserveOptions) {
    this.#options = options;
  }

  take(now: number): DtlsCertificate {
    let spare = this.#spares.shift();
    while (spare && now - spare.madeAt > this.#options.maxAgeMs) spare = this.#spares.shift();
    this.#refill();
    return spare ? spare.certificate : this.#options.generate();
  }

  #refill(): void {
    if (this.#refilling || this.#spares.length >= this.#options.spares) return;
    this.#refilling = true;
    this.#options.generateInBackground().then(
      (certificate) => {
        this.#refilling = false;
        this.#spares.push({ certificate, madeAt: Date.now() });
        this.#refill();
      },
      // Nothing to keep: the next take() generates on the event loop, where a real error surfaces.
      () => {
        this.#refilling = false;
      },
    );
  }
}

const HOUR_MS = 3_600_000;

const defaultCertificates = new CertificateReserve({
  generate: () => generateDtlsCertificate({ keyType: 'ecdsa' }),
  generateInBackground: () => generateCertificateInBackground({ keyType: 'ecdsa' }),
  // Two: a process that connects to itself (tests, benchmarks) creates its connections in pairs.
  spares: 2,
  maxAgeMs: HOUR_MS,
});

/** W3C §4.4.1.1 step 5: the certificate generated for a connection configured without one. */
export function defaultRtcCertificate(now: number): RTCCertificate {
  return new RTCCertificate(defaultCertificates.take(now));
}

export function notSupported(message: string): DOMException {
  return new DOMException(message, 'NotSupportedError');
}
