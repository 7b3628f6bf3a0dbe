/**
 * Certificates for WebRTC DTLS: a self-signed ECDSA P-256 X.509 certificate generated per connection
 * (what RTCPeerConnection.generateCertificate returns), SDP fingerprints (RFC 8122 §5) and the peer check
 * against the fingerprint from its SDP (RFC 8827 §6.5). The DER is ours (der.ts); keys, hashes and
 * signatures are node:crypto's.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import { randomBytes } from '../util/index.ts';
import {
  type DerElement,
  DerTag,
  decodeDer,
  derBitString,
  derChildren,
  derExplicit,
  derNull,
  derOid,
  derSequence,
  derSet,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from './der.ts';
import { DtlsDecodeError } from './errors.ts';
import { type KeyKind, keyKindOf } from './signature.ts';

export interface Fingerprint {
  /** Hash function name as SDP writes it (RFC 8122 §5): "sha-256". */
  algorithm: string;
  /** Upper-case hex pairs joined by colons. */
  value: string;
}

export interface DtlsCertificate {
  /** The certificate, DER-encoded; the leaf we send. */
  der: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyKind: KeyKind;
  fingerprint: Fingerprint;
  expires: Date;
}

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_COMMON_NAME = '2.5.4.3';
const DAY_MS = 86_400_000;

const sdpHashes = new Map([
  ['sha-1', 'sha1'],
  ['sha-224', 'sha224'],
  ['sha-256', 'sha256'],
  ['sha-384', 'sha384'],
  ['sha-512', 'sha512'],
]);

export function computeFingerprint(der: Uint8Array, algorithm = 'sha-256'): Fingerprint {
  const hash = sdpHashes.get(algorithm.toLowerCase());
  if (!hash) throw new RangeError(`unsupported fingerprint hash ${algorithm}`);
  const digest = createHash(hash).update(der).digest('hex').toUpperCase();
  return { algorithm: algorithm.toLowerCase(), value: digest.match(/../g)!.join(':') };
}

/** "sha-256 AB:CD:..." as in an SDP a=fingerprint line. */
export function formatFingerprint(fingerprint: Fingerprint): string {
  return `${fingerprint.algorithm} ${fingerprint.value}`;
}

export function parseFingerprint(text: string): Fingerprint {
  const match = /^\s*(\S+)\s+((?:[0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{2})\s*$/.exec(text);
  if (!match || !sdpHashes.has(match[1]!.toLowerCase())) throw new RangeError(`not a fingerprint: ${text}`);
  return { algorithm: match[1]!.toLowerCase(), value: match[2]!.toUpperCase() };
}

/** True when `der` matches any of the expected fingerprints (compared in constant time). */
export function fingerprintMatches(der: Uint8Array, expected: readonly Fingerprint[]): boolean {
  return expected.some((want) => {
    if (!sdpHashes.has(want.algorithm.toLowerCase())) return false;
    const actual = Buffer.from(computeFingerprint(der, want.algorithm).value);
    const wanted = Buffer.from(want.value.toUpperCase());
    return actual.length === wanted.length && timingSafeEqual(actual, wanted);
  });
}

function name(commonName: string): Uint8Array {
  return derSequence(derSet(derSequence(derOid(OID_COMMON_NAME), derUtf8String(commonName))));
}

export interface GenerateCertificateOptions {
  /** ECDSA P-256 (the WebRTC default) or RSA 2048 for peers and tests of the ECDHE_RSA suites. */
  keyType?: KeyKind;
  commonName?: string;
  /** Validity after `now`; 30 days by default, as browsers do. */
  lifetimeMs?: number;
  now?: Date;
}

/**
 * The fixed head of a P-256 public key's SubjectPublicKeyInfo (RFC 5480 §2: id-ecPublicKey, prime256v1, and
 * a BIT STRING holding the uncompressed point 04 || X || Y). Building and reading it here, with the point
 * going through JWK, avoids OpenSSL's DER encoder and decoder, which cost about 90 µs per key: a good part
 * of a connection's setup.
 */
const P256_SPKI_HEAD = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
const P256_COORDINATE_BYTES = 32;

function p256SubjectPublicKeyInfo(publicKey: KeyObject): Uint8Array {
  const { x, y } = publicKey.export({ format: 'jwk' });
  return Buffer.concat([P256_SPKI_HEAD, Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
}

function p256PublicKey(spki: Uint8Array): KeyObject | undefined {
  if (spki.length !== P256_SPKI_HEAD.length + 2 * P256_COORDINATE_BYTES) return undefined;
  const head = Buffer.from(spki.buffer, spki.byteOffset, P256_SPKI_HEAD.length);
  if (!head.equals(P256_SPKI_HEAD)) return undefined;
  const coordinate = (index: number) =>
    Buffer.from(
      spki.buffer,
      spki.byteOffset + P256_SPKI_HEAD.length + index * P256_COORDINATE_BYTES,
      P256_COORDINATE_BYTES,
    ).toString('base64url');
  // OpenSSL checks that the point lies on the curve, as it does for DER.
  return createPublicKey({
    format: 'jwk',
    key: { kty: 'EC', crv: 'P-256', x: coordinate(0), y: coordinate(1) },
  });
}

/** A fresh key and a self-signed X.509 v3 certificate for it, signed with SHA-256 (ECDSA or RSA PKCS #1). */
export function generateCertificate(options: GenerateCertificateOptions = {}): DtlsCertificate {
  const keyKind = options.keyType ?? 'ecdsa';
  const { privateKey, publicKey } =
    keyKind === 'ecdsa'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const unsigned = unsignedCertificate(options, keyKind, publicKey);
  const signature = sign('sha256', unsigned.tbs, { key: privateKey, dsaEncoding: 'der' });
  return signedCertificate(unsigned, signature, privateKey, publicKey);
}

/**
 * generateCertificate with the key generation and the signature on libuv's thread pool: the same
 * certificate, made off the event loop (a P-256 one costs ~150 µs of it otherwise).
 */
export async function generateCertificateInBackground(
  options: GenerateCertificateOptions = {},
): Promise<DtlsCertificate> {
  const keyKind = options.keyType ?? 'ecdsa';
  const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>(
    (resolve, reject) => {
      const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
        error ? reject(error) : resolve({ privateKey, publicKey });
      if (keyKind === 'ecdsa') generateKeyPair('ec', { namedCurve: 'prime256v1' }, done);
      else generateKeyPair('rsa', { modulusLength: 2048 }, done);
    },
  );
  const unsigned = unsignedCertificate(options, keyKind, publicKey);
  const signature = await new Promise<Uint8Array>((resolve, reject) =>
    sign('sha256', unsigned.tbs, { key: privateKey, dsaEncoding: 'der' }, (error, signature) =>
      error ? reject(error) : resolve(signature),
    ),
  );
  return signedCertificate(unsigned, signature, privateKey, publicKey);
}

interface UnsignedCertificate {
  tbs: Uint8Array;
  signatureAlgorithm: Uint8Array;
  keyKind: KeyKind;
  notAfter: Date;
}

/** The TBSCertificate (RFC 5280 §4.1) of a self-signed certificate for `publicKey`. */
function unsignedCertificate(
  options: GenerateCertificateOptions,
  keyKind: KeyKind,
  publicKey: KeyObject,
): UnsignedCertificate {
  const now = options.now ?? new Date();
  const lifetime = options.lifetimeMs ?? 30 * DAY_MS;
  const commonName = options.commonName ?? `dyad-${Buffer.from(randomBytes(6)).toString('hex')}`;
  const serial = randomBytes(12);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and non-zero (RFC 5280 §4.1.2.2)
  // RFC 5758 §3.2: ECDSA parameters are absent; RFC 4055 §5: RSA's are NULL.
  const signatureAlgorithm =
    keyKind === 'ecdsa'
      ? derSequence(derOid(OID_ECDSA_WITH_SHA256))
      : derSequence(derOid(OID_SHA256_WITH_RSA), derNull());
  // Backdated a day so that a peer whose clock is behind ours still accepts it.
  const notBefore = new Date(Math.floor((now.getTime() - DAY_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now.getTime() + lifetime) / 1000) * 1000);
  const tbs = derSequence(
    derExplicit(0, derUnsignedInteger(Uint8Array.of(2))), // version v3
    derUnsignedInteger(serial),
    signatureAlgorithm,
    name(commonName),
    derSequence(derTime(notBefore), derTime(notAfter)),
    name(commonName),
    keyKind === 'ecdsa'
      ? p256SubjectPublicKeyInfo(publicKey)
      : new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  );
  return { tbs, signatureAlgorithm, keyKind, notAfter };
}

function signedCertificate(
  unsigned: UnsignedCertificate,
  signature: Uint8Array,
  privateKey: KeyObject,
  publicKey: KeyObject,
): DtlsCertificate {
  const der = derSequence(unsigned.tbs, unsigned.signatureAlgorithm, derBitString(signature));
  return {
    der,
    privateKey,
    publicKey,
    keyKind: unsigned.keyKind,
    fingerprint: computeFingerprint(der),
    expires: unsigned.notAfter,
  };
}

export interface ParsedCertificate {
  tbs: Uint8Array;
  /** SubjectPublicKeyInfo, DER. */
  subjectPublicKeyInfo: Uint8Array;
  signatureAlgorithm: Uint8Array;
  signature: Uint8Array;
  notAfter: Date;
}

function decodeTime(element: DerElement | undefined): Date {
  const text = element ? new TextDecoder().decode(element.contents) : '';
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  const utc = element?.tag === DerTag.utcTime;
  if (
    !match ||
    (utc ? match[1]!.length !== 2 : element?.tag !== DerTag.generalizedTime || match[1]!.length !== 4)
  ) {
    throw new DtlsDecodeError('certificate validity', `bad time ${JSON.stringify(text)}`);
  }
  let year = Number(match[1]);
  if (utc) year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** Splits an X.509 certificate into the parts we use (RFC 5280 §4.1); bounded and typed-error on bad input. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const [tbs, signatureAlgorithm, signatureValue] = derChildren(decodeDer(der), DerTag.sequence);
  if (!tbs || !signatureAlgorithm || !signatureValue || signatureValue.tag !== DerTag.bitString) {
    throw new DtlsDecodeError('certificate', 'not an X.509 Certificate');
  }
  const fields = derChildren(tbs, DerTag.sequence);
  const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const validity = fields[first + 3];
  const spki = fields[first + 5];
  if (!validity || !spki || spki.tag !== DerTag.sequence) {
    throw new DtlsDecodeError('certificate', 'no validity or subjectPublicKeyInfo');
  }
  return {
    notAfter: decodeTime(derChildren(validity, DerTag.sequence)[1]),
    tbs: tbs.encoded,
    subjectPublicKeyInfo: spki.encoded,
    signatureAlgorithm: signatureAlgorithm.encoded,
    signature: signatureValue.contents.subarray(1),
  };
}

/** The certificate's public key as node:crypto reads the SubjectPublicKeyInfo. */
export function certificatePublicKey(der: Uint8Array): KeyObject {
  const { subjectPublicKeyInfo } = parseCertificate(der);
  try {
    return (
      p256PublicKey(subjectPublicKeyInfo) ??
      createPublicKey({ key: Buffer.from(subjectPublicKeyInfo), format: 'der', type: 'spki' })
    );
  } catch (error) {
    throw new DtlsDecodeError('subjectPublicKeyInfo', (error as Error).message);
  }
}

function pemBody(pem: string, label: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match) throw new RangeError(`no ${label} block in PEM input`);
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Loads an existing certificate and its private key (ECDSA or RSA), e.g. made by openssl. */
export function certificateFromPem(certificatePem: string, privateKeyPem: string): DtlsCertificate {
  const der = pemBody(certificatePem, 'CERTIFICATE');
  const publicKey = certificatePublicKey(der);
  const privateKey = createPrivateKey(privateKeyPem);
  const keyKind = keyKindOf(publicKey);
  if (!keyKind) throw new RangeError(`unsupported certificate key type ${publicKey.asymmetricKeyType}`);
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new RangeError('private key does not belong to the certificate');
  }
  const { notAfter } = parseCertificate(der);
  return { der, privateKey, publicKey, keyKind, fingerprint: computeFingerprint(der), expires: notAfter };
}
