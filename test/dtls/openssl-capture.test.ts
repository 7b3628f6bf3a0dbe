/**
 * Known-answer tests from real OpenSSL traffic (captures.ts): with OpenSSL's master secret, our key
 * derivation must decrypt OpenSSL's records, and our Finished computation over the captured transcript must
 * equal the verify_data OpenSSL sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cipherSuiteById } from '../../src/dtls/ciphersuites.ts';
import {
  decodeHandshakeFragments,
  encodeHandshakeMessage,
  type HandshakeMessage,
  HandshakeType,
} from '../../src/dtls/handshake.ts';
import { deriveRecordCipher } from '../../src/dtls/handshakecommon.ts';
import { decodeClientHello, decodeServerHello } from '../../src/dtls/messages.ts';
import { finishedVerifyData, transcriptHash } from '../../src/dtls/prf.ts';
import { ContentType, type DtlsRecord, decodeRecords } from '../../src/dtls/record.ts';
import { type Capture, opensslAes128Gcm, opensslChacha20 } from './captures.ts';

function records(capture: Capture, from: 'client' | 'server'): DtlsRecord[] {
  return capture.datagrams
    .filter((datagram) => datagram.from === from)
    .flatMap((datagram) => decodeRecords(new Uint8Array(Buffer.from(datagram.hex, 'hex'))));
}

/** Plaintext handshake messages of one side in order (the captures' messages are unfragmented). */
function handshakeMessages(recordList: DtlsRecord[]): HandshakeMessage[] {
  const messages: HandshakeMessage[] = [];
  for (const record of recordList) {
    if (record.epoch !== 0 || record.contentType !== ContentType.handshake) continue;
    for (const fragment of decodeHandshakeFragments(record.fragment)) {
      if (fragment.msgType === HandshakeType.hello_verify_request) continue;
      assert.equal(fragment.body.length, fragment.length, 'capture holds whole messages');
      messages.push(encodeHandshakeMessage(fragment.msgType, fragment.messageSeq, fragment.body));
    }
  }
  return messages;
}

for (const capture of [opensslAes128Gcm, opensslChacha20]) {
  test(`records and Finished captured from OpenSSL (${capture.cipher}) verify against our derivation`, () => {
    const clientRecords = records(capture, 'client');
    const serverRecords = records(capture, 'server');
    const clientMessages = handshakeMessages(clientRecords);
    const serverMessages = handshakeMessages(serverRecords);
    // OpenSSL retried its ClientHello with our cookie; the transcript starts at that second ClientHello.
    const hellos = clientMessages.filter((m) => m.msgType === HandshakeType.client_hello);
    const clientHello = hellos[hellos.length - 1]!;
    assert.ok(decodeClientHello(clientHello.body).cookie.length > 0);
    const serverHello = decodeServerHello(serverMessages[0]!.body);
    const suite = cipherSuiteById(serverHello.cipherSuite)!;
    const clientRandom = decodeClientHello(clientHello.body).random;
    const masterSecret = new Uint8Array(Buffer.from(capture.masterSecret, 'hex'));
    const serverSide = deriveRecordCipher(suite, masterSecret, clientRandom, serverHello.random, 'server');
    const clientSide = deriveRecordCipher(suite, masterSecret, clientRandom, serverHello.random, 'client');

    const opened = clientRecords
      .filter((r) => r.epoch === 1)
      .map((r) => ({ record: r, plaintext: serverSide.open(r) }));
    const finishedRecord = opened.find((o) => o.record.contentType === ContentType.handshake)!;
    const [finished] = decodeHandshakeFragments(finishedRecord.plaintext);
    assert.equal(finished?.msgType, HandshakeType.finished);
    const data = opened.find((o) => o.record.contentType === ContentType.application_data)!;
    assert.equal(Buffer.from(data.plaintext).toString(), 'hello from openssl\n');

    // RFC 5246 §7.4.9 over the transcript ClientHello(cookie) .. CertificateVerify, as captured.
    const afterHello = clientMessages.slice(clientMessages.indexOf(clientHello) + 1);
    const transcript = [clientHello, ...serverMessages, ...afterHello].map((m) => m.raw);
    const expected = finishedVerifyData(
      suite.prfHash,
      masterSecret,
      'client',
      transcriptHash(suite.prfHash, transcript),
    );
    assert.deepEqual(new Uint8Array(finished!.body), expected);

    const ours = serverRecords.filter((r) => r.epoch === 1 && r.contentType === ContentType.application_data);
    assert.equal(Buffer.from(clientSide.open(ours[0]!)).toString(), 'hello from dyad\n');

    // A flipped bit anywhere in a protected record fails authentication.
    const tampered = { ...data.record, fragment: data.record.fragment.slice() };
    tampered.fragment[tampered.fragment.length - 1]! ^= 1;
    assert.throws(() => serverSide.open(tampered), /authentication failed/);
  });
}
