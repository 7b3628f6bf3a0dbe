/**
 * Handshake message bodies (RFC 5246 §7.4 with the DTLS changes of RFC 6347 §4.2.1, ECDHE structures
 * of RFC 8422 §5.4 and §5.7). Each is a pure encodeX/decodeX pair; decoders consume the whole body and
 * throw typed errors on anything malformed.
 */
import { ByteReader, ByteWriter } from '../util/index.ts';
import { DtlsDecodeError } from './errors.ts';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './extensions.ts';

export const RANDOM_LENGTH = 32;
/** RFC 6347 §4.2.1 (as updated for DTLS 1.2): opaque cookie<0..2^8-1>. */
export const MAX_COOKIE_LENGTH = 255;

function finish<T>(reader: ByteReader, message: string, value: T): T {
  if (reader.remaining !== 0) throw new DtlsDecodeError(message, `${reader.remaining} trailing bytes`);
  return value;
}

function opaque8(reader: ByteReader, field: string, max = 255): Uint8Array {
  const length = reader.u8(`${field} length`);
  if (length > max) throw new DtlsDecodeError(field, `length ${length} exceeds ${max}`);
  return reader.bytes(length, field);
}

export interface ClientHello {
  clientVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: HelloExtensions;
}

export function encodeClientHello(hello: ClientHello): Uint8Array {
  const writer = new ByteWriter(256)
    .u16(hello.clientVersion)
    .bytes(hello.random)
    .u8(hello.sessionId.length)
    .bytes(hello.sessionId)
    .u8(hello.cookie.length)
    .bytes(hello.cookie)
    .u16(hello.cipherSuites.length * 2);
  for (const suite of hello.cipherSuites) writer.u16(suite);
  writer.u8(hello.compressionMethods.length).bytes(Uint8Array.from(hello.compressionMethods));
  encodeExtensions(writer, hello.extensions);
  return writer.finish();
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const reader = new ByteReader(body);
  const clientVersion = reader.u16('client_version');
  const random = reader.bytes(RANDOM_LENGTH, 'random');
  const sessionId = opaque8(reader, 'session_id', 32);
  const cookie = opaque8(reader, 'cookie', MAX_COOKIE_LENGTH);
  const suitesLength = reader.u16('cipher_suites length');
  if (suitesLength < 2 || suitesLength % 2 !== 0) {
    throw new DtlsDecodeError('cipher_suites', `bad length ${suitesLength}`);
  }
  const suitesReader = reader.sub(suitesLength, 'cipher_suites');
  const cipherSuites: number[] = [];
  while (suitesReader.remaining > 0) cipherSuites.push(suitesReader.u16('cipher suite'));
  const compressionLength = reader.u8('compression_methods length');
  if (compressionLength < 1) throw new DtlsDecodeError('compression_methods', 'empty list');
  const compressionMethods = [...reader.bytes(compressionLength, 'compression_methods')];
  const extensions = decodeExtensions(reader);
  return finish(reader, 'ClientHello', {
    clientVersion,
    random,
    sessionId,
    cookie,
    cipherSuites,
    compressionMethods,
    extensions,
  });
}

export interface ServerHello {
  serverVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: HelloExtensions;
}

export function encodeServerHello(hello: ServerHello): Uint8Array {
  const writer = new ByteWriter(128)
    .u16(hello.serverVersion)
    .bytes(hello.random)
    .u8(hello.sessionId.length)
    .bytes(hello.sessionId)
    .u16(hello.cipherSuite)
    .u8(hello.compressionMethod);
  encodeExtensions(writer, hello.extensions);
  return writer.finish();
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const reader = new ByteReader(body);
  const serverVersion = reader.u16('server_version');
  const random = reader.bytes(RANDOM_LENGTH, 'random');
  const sessionId = opaque8(reader, 'session_id', 32);
  const cipherSuite = reader.u16('cipher_suite');
  const compressionMethod = reader.u8('compression_method');
  const extensions = decodeExtensions(reader);
  return finish(reader, 'ServerHello', {
    serverVersion,
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    extensions,
  });
}

export interface HelloVerifyRequest {
  serverVersion: number;
  cookie: Uint8Array;
}

export function encodeHelloVerifyRequest(request: HelloVerifyRequest): Uint8Array {
  return new ByteWriter(3 + request.cookie.length)
    .u16(request.serverVersion)
    .u8(request.cookie.length)
    .bytes(request.cookie)
    .finish();
}

export function decodeHelloVerifyRequest(body: Uint8Array): HelloVerifyRequest {
  const reader = new ByteReader(body);
  const serverVersion = reader.u16('server_version');
  const cookie = opaque8(reader, 'cookie', MAX_COOKIE_LENGTH);
  return finish(reader, 'HelloVerifyRequest', { serverVersion, cookie });
}

/** RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>, each ASN.1Cert<1..2^24-1>. */
export function encodeCertificate(chain: Uint8Array[]): Uint8Array {
  const writer = new ByteWriter(1024);
  writer.u24(chain.reduce((sum, cert) => sum + 3 + cert.length, 0));
  for (const cert of chain) writer.u24(cert.length).bytes(cert);
  return writer.finish();
}

export function decodeCertificate(body: Uint8Array): Uint8Array[] {
  const reader = new ByteReader(body);
  const list = reader.sub(reader.u24('certificate_list length'), 'certificate_list');
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) {
    const length = list.u24('certificate length');
    if (length < 1) throw new DtlsDecodeError('certificate', 'empty certificate');
    chain.push(list.bytes(length, 'certificate'));
  }
  return finish(reader, 'Certificate', chain);
}

/** RFC 8422 §5.4: ECCurveType named_curve. */
export const EC_CURVE_TYPE_NAMED = 3;

export interface ServerKeyExchange {
  namedGroup: number;
  publicKey: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
}

/** The ServerECDHParams bytes, which are also what the server signs (after both randoms, RFC 8422 §5.4). */
export function encodeEcdheParams(namedGroup: number, publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(4 + publicKey.length)
    .u8(EC_CURVE_TYPE_NAMED)
    .u16(namedGroup)
    .u8(publicKey.length)
    .bytes(publicKey)
    .finish();
}

export function encodeServerKeyExchange(message: ServerKeyExchange): Uint8Array {
  return new ByteWriter(160)
    .bytes(encodeEcdheParams(message.namedGroup, message.publicKey))
    .u16(message.signatureScheme)
    .u16(message.signature.length)
    .bytes(message.signature)
    .finish();
}

export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const reader = new ByteReader(body);
  const curveType = reader.u8('curve_type');
  if (curveType !== EC_CURVE_TYPE_NAMED) throw new DtlsDecodeError('curve_type', `unsupported ${curveType}`);
  const namedGroup = reader.u16('named_curve');
  const publicKey = opaque8(reader, 'ECPoint');
  if (publicKey.length < 1) throw new DtlsDecodeError('ECPoint', 'empty point');
  const signatureScheme = reader.u16('signature algorithm');
  const signature = reader.bytes(reader.u16('signature length'), 'signature');
  return finish(reader, 'ServerKeyExchange', { namedGroup, publicKey, signatureScheme, signature });
}

export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

export interface CertificateRequest {
  certificateTypes: number[];
  signatureSchemes: number[];
  /** DER-encoded DistinguishedNames; empty means any. */
  authorities: Uint8Array[];
}

export function encodeCertificateRequest(request: CertificateRequest): Uint8Array {
  const writer = new ByteWriter(64)
    .u8(request.certificateTypes.length)
    .bytes(Uint8Array.from(request.certificateTypes))
    .u16(request.signatureSchemes.length * 2);
  for (const scheme of request.signatureSchemes) writer.u16(scheme);
  writer.u16(request.authorities.reduce((sum, name) => sum + 2 + name.length, 0));
  for (const name of request.authorities) writer.u16(name.length).bytes(name);
  return writer.finish();
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const reader = new ByteReader(body);
  const typesLength = reader.u8('certificate_types length');
  if (typesLength < 1) throw new DtlsDecodeError('certificate_types', 'empty list');
  const certificateTypes = [...reader.bytes(typesLength, 'certificate_types')];
  const schemesLength = reader.u16('supported_signature_algorithms length');
  if (schemesLength < 2 || schemesLength % 2 !== 0) {
    throw new DtlsDecodeError('supported_signature_algorithms', `bad length ${schemesLength}`);
  }
  const schemesReader = reader.sub(schemesLength, 'supported_signature_algorithms');
  const signatureSchemes: number[] = [];
  while (schemesReader.remaining > 0) signatureSchemes.push(schemesReader.u16('signature algorithm'));
  const namesReader = reader.sub(reader.u16('certificate_authorities length'), 'certificate_authorities');
  const authorities: Uint8Array[] = [];
  while (namesReader.remaining > 0) {
    authorities.push(namesReader.bytes(namesReader.u16('DistinguishedName length'), 'DistinguishedName'));
  }
  return finish(reader, 'CertificateRequest', { certificateTypes, signatureSchemes, authorities });
}

export function decodeEmpty(body: Uint8Array, message: string): void {
  if (body.length !== 0)
    throw new DtlsDecodeError(message, `expected an empty body, got ${body.length} bytes`);
}

/** RFC 8422 §5.7: ClientECDiffieHellmanPublic, opaque point <1..2^8-1>. */
export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return new ByteWriter(1 + publicKey.length).u8(publicKey.length).bytes(publicKey).finish();
}

export function decodeClientKeyExchange(body: Uint8Array): Uint8Array {
  const reader = new ByteReader(body);
  const point = opaque8(reader, 'ECPoint');
  if (point.length < 1) throw new DtlsDecodeError('ECPoint', 'empty point');
  return finish(reader, 'ClientKeyExchange', point);
}

export interface DigitallySigned {
  signatureScheme: number;
  signature: Uint8Array;
}

/** RFC 5246 §4.7 digitally-signed struct, the body of CertificateVerify (§7.4.8). */
export function encodeDigitallySigned(signed: DigitallySigned): Uint8Array {
  return new ByteWriter(4 + signed.signature.length)
    .u16(signed.signatureScheme)
    .u16(signed.signature.length)
    .bytes(signed.signature)
    .finish();
}

export function decodeDigitallySigned(body: Uint8Array): DigitallySigned {
  const reader = new ByteReader(body);
  const signatureScheme = reader.u16('signature algorithm');
  const signature = reader.bytes(reader.u16('signature length'), 'signature');
  return finish(reader, 'CertificateVerify', { signatureScheme, signature });
}
