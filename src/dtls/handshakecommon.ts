/**
 * What the client and server handshakes share: configuration, the flight and step shapes they hand the
 * connection, the transcript (RFC 6347 §4.2.6), the peer certificate check and key derivation. Nothing
 * here does I/O.
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { randomBytes, TruncatedInputError } from '../util/index.ts';
import { AlertDescription, DtlsAlertError } from './alert.ts';
import {
  certificatePublicKey,
  type DtlsCertificate,
  type Fingerprint,
  fingerprintMatches,
} from './certificate.ts';
import type { CipherSuite } from './ciphersuites.ts';
import { DtlsError } from './errors.ts';
import { encodeHandshakeMessage, type HandshakeMessage } from './handshake.ts';
import type { ClientHello } from './messages.ts';
import { finishedVerifyData, keyBlock, type PrfHash, transcriptHash } from './prf.ts';
import { RecordCipher } from './recordcipher.ts';
import type { KeyKind } from './signature.ts';
import { keyKindOf } from './signature.ts';

export interface HandshakeConfig {
  certificate: DtlsCertificate;
  /** Fingerprints from the peer's SDP; read when the peer's Certificate arrives. */
  remoteFingerprints: () => readonly Fingerprint[];
  cipherSuites: readonly CipherSuite[];
  groups: readonly number[];
  signatureSchemes: readonly number[];
  srtpProfiles: readonly number[];
}

/** One entry of an outgoing flight: a handshake message or a ChangeCipherSpec, in the epoch it travels in. */
export type FlightEntry =
  | { kind: 'handshake'; message: HandshakeMessage; epoch: number }
  | { kind: 'change_cipher_spec'; epoch: number };

/** What handling one message asks of the connection. */
export interface HandshakeStep {
  /** The next flight to send; it replaces the one being retransmitted. */
  flight?: FlightEntry[];
  /** A flight that expects no answer (RFC 6347 §4.2.4: the last flight is not retransmitted on a timer). */
  finalFlight?: boolean;
  /** A HelloVerifyRequest sent statelessly, in a record that echoes the ClientHello's sequence number. */
  statelessReply?: HandshakeMessage;
  /** Keys for epoch 1, both directions. */
  nextEpochKeys?: RecordCipher;
  /** The peer's Finished verified: the handshake is over. */
  complete?: boolean;
}

export interface NegotiatedSession {
  suite: CipherSuite;
  masterSecret: Uint8Array;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  srtpProfile: number | undefined;
  peerCertificate: Uint8Array;
}

export class Transcript {
  readonly #messages: Uint8Array[] = [];

  add(message: HandshakeMessage): void {
    this.#messages.push(message.raw);
  }

  hash(hash: PrfHash): Uint8Array {
    return transcriptHash(hash, this.#messages);
  }

  /** All messages so far, concatenated: what CertificateVerify signs (RFC 5246 §7.4.8). */
  bytes(): Uint8Array {
    return Buffer.concat(this.#messages);
  }
}

/** Hands out message_seq values for our messages (RFC 6347 §4.2.2). */
export class MessageWriter {
  constructor(public nextSeq = 0) {}

  message(msgType: number, body: Uint8Array): HandshakeMessage {
    return encodeHandshakeMessage(msgType, this.nextSeq++, body);
  }
}

/** Turns decoder errors into the decode_error alert (RFC 5246 §7.2.2); passes alerts through. */
export function decodeOrAlert<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DtlsAlertError) throw error;
    if (error instanceof DtlsError || error instanceof TruncatedInputError) {
      throw new DtlsAlertError(AlertDescription.decode_error, error.message);
    }
    throw error;
  }
}

/**
 * RFC 5246 §7.4.9: the peer's Finished must carry the verify_data of the transcript so far under the
 * master secret; anything else is a decrypt_error alert. Compared in constant time.
 */
export function verifyPeerFinished(
  prfHash: PrfHash,
  masterSecret: Uint8Array,
  peer: 'client' | 'server',
  transcript: Transcript,
  received: Uint8Array,
): void {
  const expected = finishedVerifyData(prfHash, masterSecret, peer, transcript.hash(prfHash));
  if (received.length !== expected.length || !timingSafeEqual(expected, received)) {
    throw new DtlsAlertError(AlertDescription.decrypt_error, `${peer} Finished does not verify`);
  }
}

export function unexpected(what: string): DtlsAlertError {
  return new DtlsAlertError(AlertDescription.unexpected_message, what);
}

/**
 * The peer's leaf certificate must match a fingerprint from its SDP (RFC 8827 §6.5, RFC 8122 §5); any
 * mismatch is fatal with bad_certificate. Returns the leaf's public key.
 */
export function verifyPeerCertificate(chain: Uint8Array[], expected: readonly Fingerprint[]): KeyObject {
  const leaf = chain[0];
  if (!leaf) throw new DtlsAlertError(AlertDescription.handshake_failure, 'peer sent no certificate');
  if (expected.length === 0) {
    throw new DtlsAlertError(
      AlertDescription.bad_certificate,
      'no remote fingerprint to check the certificate against',
    );
  }
  if (!fingerprintMatches(leaf, expected)) {
    throw new DtlsAlertError(
      AlertDescription.bad_certificate,
      'certificate does not match the remote fingerprint',
    );
  }
  try {
    return certificatePublicKey(leaf);
  } catch (error) {
    throw new DtlsAlertError(AlertDescription.bad_certificate, (error as Error).message);
  }
}

export function requireKeyKind(key: KeyObject, kind: KeyKind): void {
  if (keyKindOf(key) !== kind) {
    throw new DtlsAlertError(AlertDescription.unsupported_certificate, `certificate key is not ${kind}`);
  }
}

/**
 * RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV, server_write_IV (AEAD suites have no
 * MAC keys). Returns the cipher for one side.
 */
export function deriveRecordCipher(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  side: 'client' | 'server',
): RecordCipher {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = keyBlock(suite.prfHash, masterSecret, clientRandom, serverRandom, 2 * k + 2 * iv);
  const client = { key: block.subarray(0, k), iv: block.subarray(2 * k, 2 * k + iv) };
  const server = { key: block.subarray(k, 2 * k), iv: block.subarray(2 * k + iv, 2 * k + 2 * iv) };
  return side === 'client'
    ? new RecordCipher(suite, client, server)
    : new RecordCipher(suite, server, client);
}

/**
 * Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): HMAC-SHA256 under a per-server secret over the
 * client's parameters and, when the transport knows it, the client's address.
 */
export class CookieAuthority {
  readonly #secret: Uint8Array;

  constructor(secret: Uint8Array = randomBytes(32)) {
    if (secret.length < 16) throw new RangeError('cookie secret must be at least 16 bytes');
    this.#secret = Uint8Array.from(secret);
  }

  cookieFor(hello: ClientHello, peerContext: Uint8Array = new Uint8Array(0)): Uint8Array {
    const hmac = createHmac('sha256', this.#secret);
    hmac.update(Uint8Array.of(peerContext.length >>> 8, peerContext.length & 0xff)).update(peerContext);
    hmac.update(Uint8Array.of(hello.clientVersion >>> 8, hello.clientVersion & 0xff));
    hmac.update(hello.random).update(Uint8Array.of(hello.sessionId.length)).update(hello.sessionId);
    for (const suite of hello.cipherSuites) hmac.update(Uint8Array.of(suite >>> 8, suite & 0xff));
    hmac.update(Uint8Array.from(hello.compressionMethods));
    return hmac.digest();
  }

  verify(hello: ClientHello, peerContext?: Uint8Array): boolean {
    const expected = this.cookieFor(hello, peerContext);
    return hello.cookie.length === expected.length && timingSafeEqual(hello.cookie, expected);
  }
}
