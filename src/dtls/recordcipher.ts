/**
 * AEAD protection of records once an epoch has keys (RFC 5246 §6.2.3.3 as used by DTLS, RFC 6347 §4.1.2).
 *
 *   additional_data = seq_num (epoch + sequence_number, 8 bytes) + type + version + length
 *   AES-GCM (RFC 5288 §3):       nonce = salt[4] + explicit_nonce[8]; the record carries explicit_nonce
 *   ChaCha20-Poly1305 (RFC 7905 §2): nonce = iv[12] XOR (0^32 + seq_num); nothing explicit in the record
 *
 * Our explicit GCM nonce is the record's own seq_num, unique per key by construction. Keys are copied
 * once, nonce and AAD buffers are reused, so a record costs one cipher object, the output of the
 * cipher and one copy into the datagram.
 */
import {
  type CipherChaCha20Poly1305,
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
} from 'node:crypto';
import type { AeadAlgorithm, CipherSuite } from './ciphersuites.ts';
import { DtlsDecodeError } from './errors.ts';
import { type DtlsRecord, RECORD_HEADER_LENGTH, writeRecordHeader } from './record.ts';

export const AEAD_TAG_LENGTH = 16;

// Both AEADs default to 16-byte tags. Leaving out option objects where node:crypto allows keeps it on its
// fast path: options and KeyObject keys each cost up to a third at 16 KiB (bench/dtls/record.ts).
// node:crypto reads setAAD's plaintextLength only for CCM; the typings demand it for ChaCha20-Poly1305,
// where it is unused, hence the constant (the OpenSSL capture test decrypts real ChaCha20 records).

function cipherFor(
  algorithm: AeadAlgorithm,
  key: Buffer,
  nonce: Uint8Array,
  aad: Uint8Array,
): CipherGCM | CipherChaCha20Poly1305 {
  if (algorithm === 'chacha20-poly1305') {
    return createCipheriv(algorithm, key, nonce).setAAD(aad, { plaintextLength: 0 });
  }
  return createCipheriv(algorithm, key, nonce).setAAD(aad);
}

function decipherFor(
  algorithm: AeadAlgorithm,
  key: Buffer,
  nonce: Uint8Array,
  aad: Uint8Array,
): DecipherGCM | DecipherChaCha20Poly1305 {
  if (algorithm === 'chacha20-poly1305') {
    return createDecipheriv(algorithm, key, nonce).setAAD(aad, { plaintextLength: 0 });
  }
  return createDecipheriv(algorithm, key, nonce).setAAD(aad);
}

/**
 * A plain Uint8Array over a Buffer's memory (no copy), so callers get Uint8Array semantics: on a Buffer,
 * slice() is a view, not a copy.
 */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The per-direction keys of one epoch. */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

class Direction {
  readonly key: Buffer;
  readonly nonce = Buffer.alloc(12);
  readonly aad = Buffer.alloc(13);
  readonly #iv: Uint8Array;

  constructor(
    readonly suite: CipherSuite,
    keys: TrafficKeys,
  ) {
    this.key = Buffer.from(keys.key);
    this.#iv = Uint8Array.from(keys.iv);
    this.nonce.set(this.#iv);
  }

  /** Fills the nonce and AAD for a record; returns the nonce. */
  prepare(contentType: number, version: number, epoch: number, sequenceNumber: number, length: number) {
    const aad = this.aad;
    const high = Math.floor(sequenceNumber / 2 ** 32);
    aad[0] = epoch >>> 8;
    aad[1] = epoch & 0xff;
    aad[2] = high >>> 8;
    aad[3] = high & 0xff;
    aad[4] = sequenceNumber >>> 24;
    aad[5] = (sequenceNumber >>> 16) & 0xff;
    aad[6] = (sequenceNumber >>> 8) & 0xff;
    aad[7] = sequenceNumber & 0xff;
    aad[8] = contentType;
    aad[9] = version >>> 8;
    aad[10] = version & 0xff;
    aad[11] = length >>> 8;
    aad[12] = length & 0xff;
    const nonce = this.nonce;
    if (this.suite.explicitNonceLength > 0) {
      nonce.set(aad.subarray(0, 8), 4);
    } else {
      for (let i = 0; i < 8; i++) nonce[4 + i] = this.#iv[4 + i]! ^ aad[i]!;
    }
    return nonce;
  }
}

export class RecordCipher {
  readonly #write: Direction;
  readonly #read: Direction;
  readonly #suite: CipherSuite;

  constructor(suite: CipherSuite, write: TrafficKeys, read: TrafficKeys) {
    this.#suite = suite;
    this.#write = new Direction(suite, write);
    this.#read = new Direction(suite, read);
  }

  /** Bytes a protected record adds to its plaintext. */
  get overhead(): number {
    return this.#suite.explicitNonceLength + AEAD_TAG_LENGTH;
  }

  /** Encrypts `plaintext` into a complete record (header included). */
  seal(
    contentType: number,
    version: number,
    epoch: number,
    sequenceNumber: number,
    plaintext: Uint8Array,
  ): Uint8Array {
    const write = this.#write;
    const nonce = write.prepare(contentType, version, epoch, sequenceNumber, plaintext.length);
    const cipher = cipherFor(this.#suite.aead, write.key, nonce, write.aad);
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    const explicit = this.#suite.explicitNonceLength;
    const fragmentLength = explicit + plaintext.length + AEAD_TAG_LENGTH;
    // Every byte is written below, so the buffer need not be zeroed first.
    const record = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + fragmentLength);
    writeRecordHeader(record, 0, contentType, epoch, sequenceNumber, fragmentLength, version);
    if (explicit > 0) record.set(nonce.subarray(4), RECORD_HEADER_LENGTH);
    record.set(ciphertext, RECORD_HEADER_LENGTH + explicit);
    record.set(cipher.getAuthTag(), RECORD_HEADER_LENGTH + explicit + plaintext.length);
    return asUint8Array(record);
  }

  /** Decrypts and authenticates a record's fragment; throws DtlsDecodeError when it does not authenticate. */
  open(record: DtlsRecord): Uint8Array {
    const fragment = record.fragment;
    const explicit = this.#suite.explicitNonceLength;
    const plaintextLength = fragment.length - explicit - AEAD_TAG_LENGTH;
    if (plaintextLength < 0) throw new DtlsDecodeError('record', 'shorter than the AEAD overhead');
    const read = this.#read;
    const nonce = read.prepare(
      record.contentType,
      record.version,
      record.epoch,
      record.sequenceNumber,
      plaintextLength,
    );
    if (explicit > 0) nonce.set(fragment.subarray(0, explicit), 4);
    const decipher = decipherFor(this.#suite.aead, read.key, nonce, read.aad);
    decipher.setAuthTag(fragment.subarray(explicit + plaintextLength));
    const plaintext = decipher.update(fragment.subarray(explicit, explicit + plaintextLength));
    try {
      decipher.final();
    } catch {
      throw new DtlsDecodeError('record', 'bad_record_mac: authentication failed');
    }
    return asUint8Array(plaintext);
  }
}
