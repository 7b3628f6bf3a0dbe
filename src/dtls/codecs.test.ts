import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader, ByteWriter, TruncatedInputError } from '../util/index.ts';
import { AlertDescription, AlertLevel, decodeAlert, encodeAlert } from './alert.ts';
import { DtlsDecodeError } from './errors.ts';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './extensions.ts';
import {
  decodeHandshakeFragments,
  encodeHandshakeMessage,
  fragmentHandshakeMessage,
  HandshakeReassembler,
  HandshakeType,
} from './handshake.ts';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeClientHello,
  decodeClientKeyExchange,
  decodeDigitallySigned,
  decodeHelloVerifyRequest,
  decodeServerHello,
  decodeServerKeyExchange,
  encodeCertificate,
  encodeCertificateRequest,
  encodeClientHello,
  encodeClientKeyExchange,
  encodeDigitallySigned,
  encodeHelloVerifyRequest,
  encodeServerHello,
  encodeServerKeyExchange,
} from './messages.ts';
import { ContentType, DTLS_1_2, decodeRecords, encodeRecord } from './record.ts';

const bytes = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

test('records round-trip, several to a datagram, with 48-bit sequence numbers', () => {
  const first = {
    contentType: ContentType.handshake,
    version: DTLS_1_2,
    epoch: 0,
    sequenceNumber: 7,
    fragment: bytes(5),
  };
  const second = {
    contentType: ContentType.application_data,
    version: DTLS_1_2,
    epoch: 1,
    sequenceNumber: 2 ** 48 - 1,
    fragment: bytes(300, 1),
  };
  const datagram = new Uint8Array([...encodeRecord(first), ...encodeRecord(second)]);
  assert.deepEqual(
    decodeRecords(datagram).map((r) => ({ ...r, fragment: [...r.fragment] })),
    [first, second].map((r) => ({ ...r, fragment: [...r.fragment] })),
  );
  assert.equal(encodeRecord(first)[0], 22);
  assert.deepEqual([...encodeRecord(first).subarray(1, 3)], [0xfe, 0xfd]);
});

test('record decoding refuses truncation, unknown types, non-DTLS versions and oversize lengths', () => {
  const good = encodeRecord({
    contentType: 23,
    version: DTLS_1_2,
    epoch: 1,
    sequenceNumber: 1,
    fragment: bytes(10),
  });
  assert.throws(() => decodeRecords(good.subarray(0, good.length - 1)), TruncatedInputError);
  assert.throws(() => decodeRecords(Uint8Array.of(99, ...good.subarray(1))), DtlsDecodeError);
  const tls = good.slice();
  tls[1] = 0x03;
  assert.throws(() => decodeRecords(tls), DtlsDecodeError);
  const huge = good.slice();
  huge[11] = 0xff;
  huge[12] = 0xff;
  assert.throws(() => decodeRecords(huge), DtlsDecodeError);
});

test('alerts are exactly two bytes with a known level', () => {
  const alert = { level: AlertLevel.fatal, description: AlertDescription.bad_certificate };
  assert.deepEqual(decodeAlert(encodeAlert(alert)), alert);
  assert.throws(() => decodeAlert(Uint8Array.of(2)), DtlsDecodeError);
  assert.throws(() => decodeAlert(Uint8Array.of(3, 0)), DtlsDecodeError);
});

test('handshake messages fragment at any size and reassemble in any order', () => {
  const body = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const message = encodeHandshakeMessage(HandshakeType.certificate, 3, body);
  for (const size of [1, 7, 100, 999, 1000, 5000]) {
    const fragments = fragmentHandshakeMessage(message, size).flatMap((f) => decodeHandshakeFragments(f));
    assert.equal(fragments.length, Math.ceil(1000 / Math.min(size, 1000)) || 1);
    if (fragments.length > 32) continue; // more holes than the reassembler keeps; covered below
    const reassembler = new HandshakeReassembler(3);
    for (const fragment of [...fragments].reverse()) assert.ok(reassembler.add(fragment));
    const whole = reassembler.next();
    assert.deepEqual(whole?.raw, message.raw);
    assert.equal(reassembler.nextSeq, 4);
  }
  const reassembler = new HandshakeReassembler(3);
  for (const fragment of fragmentHandshakeMessage(message, 1).flatMap((f) => decodeHandshakeFragments(f))) {
    reassembler.add(fragment);
  }
  assert.deepEqual(reassembler.next()?.raw, message.raw, 'in-order tiny fragments merge as they come');
});

test('the reassembler ignores old and far-future messages and refuses inconsistent fragments', () => {
  const reassembler = new HandshakeReassembler(5, 4);
  const at = (seq: number, length = 4) => ({
    msgType: HandshakeType.finished,
    length,
    messageSeq: seq,
    fragmentOffset: 0,
    body: bytes(2),
  });
  assert.equal(reassembler.add(at(4)), false);
  assert.equal(reassembler.add(at(9)), false);
  assert.equal(reassembler.add(at(6)), true);
  assert.throws(() => reassembler.add(at(6, 5)), DtlsDecodeError);
  assert.equal(reassembler.next(), undefined, 'message 5 has not arrived, and 6 is incomplete');
  assert.throws(
    () => decodeHandshakeFragments(Uint8Array.of(20, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 2, 9, 9)),
    DtlsDecodeError,
    'fragment extends past the message length',
  );
});

function extensionsRoundTrip(extensions: HelloExtensions): HelloExtensions {
  const writer = new ByteWriter();
  encodeExtensions(writer, extensions);
  return decodeExtensions(new ByteReader(writer.finish()));
}

test('hello extensions round-trip and duplicates are refused', () => {
  const extensions: HelloExtensions = {
    renegotiationInfo: new Uint8Array(0),
    extendedMasterSecret: true,
    supportedGroups: [29, 23],
    ecPointFormats: [0],
    signatureAlgorithms: [0x0403, 0x0804],
    useSrtp: { profiles: [7, 1], mki: Uint8Array.of(1, 2) },
    unknown: [{ type: 0x1234, data: Uint8Array.of(5) }],
  };
  const decoded = extensionsRoundTrip(extensions);
  assert.deepEqual(
    { ...decoded, useSrtp: { ...decoded.useSrtp, mki: [...decoded.useSrtp!.mki] } },
    {
      ...extensions,
      useSrtp: { profiles: [7, 1], mki: [1, 2] },
      renegotiationInfo: decoded.renegotiationInfo,
      unknown: [{ type: 0x1234, data: decoded.unknown![0]!.data }],
    },
  );
  const twice = Uint8Array.of(0, 8, 0, 23, 0, 0, 0, 23, 0, 0);
  assert.throws(() => decodeExtensions(new ByteReader(twice)), DtlsDecodeError);
  assert.throws(
    () => decodeExtensions(new ByteReader(Uint8Array.of(0, 7, 0, 10, 0, 3, 0, 1, 0))),
    DtlsDecodeError,
  );
  assert.throws(
    () => decodeExtensions(new ByteReader(Uint8Array.of(0, 5, 0, 10, 0, 1, 0))),
    TruncatedInputError,
  );
});

test('every handshake message body round-trips byte for byte', () => {
  const clientHello = encodeClientHello({
    clientVersion: DTLS_1_2,
    random: bytes(32, 1),
    sessionId: new Uint8Array(0),
    cookie: bytes(32, 2),
    cipherSuites: [0xc02b, 0xcca9],
    compressionMethods: [0],
    extensions: { extendedMasterSecret: true, supportedGroups: [29] },
  });
  assert.deepEqual(encodeClientHello(decodeClientHello(clientHello)), clientHello);
  const serverHello = encodeServerHello({
    serverVersion: DTLS_1_2,
    random: bytes(32, 3),
    sessionId: bytes(32, 4),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions: { extendedMasterSecret: true, useSrtp: { profiles: [1], mki: new Uint8Array(0) } },
  });
  assert.deepEqual(encodeServerHello(decodeServerHello(serverHello)), serverHello);
  const hvr = encodeHelloVerifyRequest({ serverVersion: DTLS_1_2, cookie: bytes(20) });
  assert.deepEqual(encodeHelloVerifyRequest(decodeHelloVerifyRequest(hvr)), hvr);
  const certificate = encodeCertificate([bytes(300), bytes(10, 9)]);
  assert.deepEqual(encodeCertificate(decodeCertificate(certificate)), certificate);
  const ske = encodeServerKeyExchange({
    namedGroup: 29,
    publicKey: bytes(32),
    signatureScheme: 0x0403,
    signature: bytes(71),
  });
  assert.deepEqual(encodeServerKeyExchange(decodeServerKeyExchange(ske)), ske);
  const request = encodeCertificateRequest({
    certificateTypes: [64, 1],
    signatureSchemes: [0x0403],
    authorities: [bytes(5)],
  });
  assert.deepEqual(encodeCertificateRequest(decodeCertificateRequest(request)), request);
  const cke = encodeClientKeyExchange(bytes(65, 4));
  assert.deepEqual(encodeClientKeyExchange(decodeClientKeyExchange(cke)), cke);
  const verify = encodeDigitallySigned({ signatureScheme: 0x0804, signature: bytes(256) });
  assert.deepEqual(encodeDigitallySigned(decodeDigitallySigned(verify)), verify);
  // Trailing bytes and truncation are typed errors.
  assert.throws(() => decodeHelloVerifyRequest(Uint8Array.of(...hvr, 0)), DtlsDecodeError);
  assert.throws(() => decodeClientHello(clientHello.subarray(0, 40)), TruncatedInputError);
  assert.throws(() => decodeCertificate(Uint8Array.of(0, 0, 3, 0, 0, 0)), DtlsDecodeError);
});
