/**
 * Fuzz targets for the DTLS decoders and the connection's datagram input, shared by the short seeded run
 * in fuzz.test.ts and the long run in bench/dtls/fuzz.ts. Inputs are random bytes and mutations of real
 * captures (captures.ts). The property: decoding returns or throws a typed error, never anything else,
 * and what decodes re-encodes to something that decodes to the same value.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAlert, encodeAlert } from '../../src/dtls/alert.ts';
import { parseCertificate } from '../../src/dtls/certificate.ts';
import { DtlsError } from '../../src/dtls/errors.ts';
import { decodeExtensions, encodeExtensions } from '../../src/dtls/extensions.ts';
import {
  decodeHandshakeFragments,
  encodeHandshakeFragment,
  HandshakeReassembler,
} from '../../src/dtls/handshake.ts';
import { DtlsConnection, generateCertificate } from '../../src/dtls/index.ts';
import * as messages from '../../src/dtls/messages.ts';
import { decodeRecords, encodeRecord } from '../../src/dtls/record.ts';
import { ByteReader, ByteWriter, TruncatedInputError, VirtualClock } from '../../src/util/index.ts';
import { opensslAes128Gcm, opensslChacha20 } from './captures.ts';

export const captureDatagrams: Uint8Array[] = [opensslAes128Gcm, opensslChacha20].flatMap((capture) =>
  capture.datagrams.map((d) => new Uint8Array(Buffer.from(d.hex, 'hex'))),
);

/** Record and handshake payloads cut out of the captures, to mutate below the record layer too. */
const captureHandshakeBodies: Uint8Array[] = captureDatagrams
  .flatMap((datagram) => decodeRecords(datagram))
  .filter((record) => record.epoch === 0 && record.contentType === 22)
  .flatMap((record) => decodeHandshakeFragments(record.fragment).map((f) => f.body.slice()));

export function isTypedError(error: unknown): boolean {
  return error instanceof DtlsError || error instanceof TruncatedInputError;
}

/** Runs `decode`; a typed error is fine, any other exception fails the property. */
function typed<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (isTypedError(error)) return undefined;
    throw error;
  }
}

function mutated(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
      // Most mutants keep their length so that they get past the framing into the deeper decoders.
      cut: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
      extra: fc.oneof(
        { weight: 4, arbitrary: fc.constant(new Uint8Array(0)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) },
      ),
    })
    .map(({ seed, flips, cut, extra }) => {
      const base = seeds[seed]!;
      const bytes = new Uint8Array([
        ...base.subarray(0, cut === null ? base.length : cut % (base.length + 1)),
        ...extra,
      ]);
      for (const [at, mask] of flips) if (bytes.length > 0) bytes[at % bytes.length]! ^= mask;
      return bytes;
    });
}

const anyBytes = fc.uint8Array({ maxLength: 600 });
export const datagramInput = fc.oneof(anyBytes, mutated(captureDatagrams));
export const handshakeBodyInput = fc.oneof(anyBytes, mutated(captureHandshakeBodies));

function roundTrip<T>(decode: (bytes: Uint8Array) => T, encode: (value: T) => Uint8Array) {
  return (bytes: Uint8Array) => {
    const value = typed(() => decode(bytes));
    if (value !== undefined) assert.deepEqual(decode(encode(value)), value);
  };
}

export interface FuzzTarget {
  name: string;
  input: fc.Arbitrary<Uint8Array>;
  run: (bytes: Uint8Array) => void;
}

const certificate = generateCertificate();

/** A connection in the given role, fed one datagram: it must never throw, only report typed errors. */
function feedConnection(role: 'client' | 'server') {
  return (bytes: Uint8Array) => {
    const clock = new VirtualClock();
    const connection = new DtlsConnection({
      role,
      transport: { send: () => {} },
      clock,
      certificate,
      remoteFingerprints: [certificate.fingerprint],
      cookieSecret: null,
    });
    connection.on('error', (error) => assert.ok(isTypedError(error), String(error)));
    connection.start();
    connection.handleDatagram(bytes);
    connection.close();
  };
}

export const fuzzTargets: FuzzTarget[] = [
  {
    name: 'records',
    input: datagramInput,
    run: roundTrip(decodeRecords, (records) => new Uint8Array(records.flatMap((r) => [...encodeRecord(r)]))),
  },
  {
    name: 'handshake fragments and reassembly',
    input: datagramInput,
    run: (bytes) => {
      const records = typed(() => decodeRecords(bytes)) ?? [];
      for (const payload of [bytes, ...records.map((r) => r.fragment)]) {
        const fragments = typed(() => decodeHandshakeFragments(payload));
        if (!fragments) continue;
        const again = decodeHandshakeFragments(
          new Uint8Array(fragments.flatMap((f) => [...encodeHandshakeFragment(f)])),
        );
        assert.deepEqual(again, fragments);
        const reassembler = new HandshakeReassembler(0, 8);
        for (const fragment of fragments) typed(() => reassembler.add(fragment));
        while (reassembler.next()) {}
      }
    },
  },
  {
    name: 'hello messages and extensions',
    input: handshakeBodyInput,
    run: (bytes) => {
      roundTrip(messages.decodeClientHello, messages.encodeClientHello)(bytes);
      roundTrip(messages.decodeServerHello, messages.encodeServerHello)(bytes);
      roundTrip(messages.decodeHelloVerifyRequest, messages.encodeHelloVerifyRequest)(bytes);
      roundTrip(
        (b) => decodeExtensions(new ByteReader(b)),
        (e) => {
          const writer = new ByteWriter();
          encodeExtensions(writer, e);
          return writer.finish();
        },
      )(bytes);
    },
  },
  {
    name: 'key exchange, certificate and verify messages',
    input: handshakeBodyInput,
    run: (bytes) => {
      roundTrip(messages.decodeCertificate, messages.encodeCertificate)(bytes);
      roundTrip(messages.decodeServerKeyExchange, messages.encodeServerKeyExchange)(bytes);
      roundTrip(messages.decodeCertificateRequest, messages.encodeCertificateRequest)(bytes);
      roundTrip(messages.decodeClientKeyExchange, messages.encodeClientKeyExchange)(bytes);
      roundTrip(messages.decodeDigitallySigned, messages.encodeDigitallySigned)(bytes);
      roundTrip(decodeAlert, encodeAlert)(bytes.subarray(0, 2));
      const chain = typed(() => messages.decodeCertificate(bytes)) ?? [bytes];
      for (const der of chain) typed(() => parseCertificate(der));
    },
  },
  { name: 'server connection input', input: datagramInput, run: feedConnection('server') },
  { name: 'client connection input', input: datagramInput, run: feedConnection('client') },
];
