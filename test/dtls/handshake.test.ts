/**
 * Our client against our server over an in-memory link in virtual time: every suite and group, lost
 * flights and their retransmission schedule (RFC 6347 §4.2.4), fingerprint mismatch, small MTUs,
 * close_notify and the refusal to renegotiate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHandshakeFragments, encodeHandshakeMessage, HandshakeType } from '../../src/dtls/handshake.ts';
import {
  AlertDescription,
  CipherSuites,
  DtlsAlertError,
  type DtlsConnection,
  DtlsRemoteAlertError,
  DtlsTimeoutError,
  generateCertificate,
  NamedGroup,
  SrtpProtectionProfile,
} from '../../src/dtls/index.ts';
import { encodeClientHello } from '../../src/dtls/messages.ts';
import { ContentType, DTLS_1_2, decodeRecords, encodeRecord } from '../../src/dtls/record.ts';
import { seededRandom } from '../../src/util/index.ts';
import { linkedPair, type SentDatagram } from './memorylink.ts';

function watch(connection: DtlsConnection) {
  const seen = { connected: false, closed: false, errors: [] as Error[], data: [] as string[] };
  connection.on('connected', () => {
    seen.connected = true;
  });
  connection.on('closed', () => {
    seen.closed = true;
  });
  connection.on('error', (error) => seen.errors.push(error));
  connection.on('data', (data) => seen.data.push(Buffer.from(data).toString()));
  return seen;
}

const rsaCertificate = generateCertificate({ keyType: 'rsa' });
const ecdsaCertificate = generateCertificate();

for (const suite of Object.values(CipherSuites)) {
  for (const group of [NamedGroup.x25519, NamedGroup.secp256r1]) {
    test(`handshake and data with ${suite.name} over group ${group}`, () => {
      const certificate = suite.authentication === 'rsa' ? rsaCertificate : ecdsaCertificate;
      const pair = linkedPair({ cipherSuites: [suite], groups: [group] }, { certificate });
      const client = watch(pair.client);
      const server = watch(pair.server);
      pair.client.start();
      pair.clock.advance(100);
      assert.ok(client.connected && server.connected, `${client.errors} ${server.errors}`);
      assert.equal(pair.client.cipherSuite?.id, suite.id);
      assert.equal(pair.server.cipherSuite?.id, suite.id);
      assert.equal(pair.client.srtpProfile, SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM);
      assert.deepEqual(pair.client.remoteCertificate, certificate.der);
      assert.deepEqual(pair.server.remoteCertificate, pair.client.localCertificate.der);
      const label = 'EXTRACTOR-dtls_srtp';
      assert.deepEqual(
        pair.client.exportKeyingMaterial(label, 56),
        pair.server.exportKeyingMaterial(label, 56),
      );
      pair.client.send(Buffer.from('ping'));
      pair.server.send(Buffer.from('pong'));
      pair.clock.advance(10);
      assert.deepEqual(server.data, ['ping']);
      assert.deepEqual(client.data, ['pong']);
    });
  }
}

test('the server picks its preferred SRTP profile among those the client offers', () => {
  const pair = linkedPair(
    {
      srtpProfiles: [
        SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80,
        SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM,
      ],
    },
    {},
  );
  pair.client.start();
  pair.clock.advance(100);
  assert.equal(pair.client.srtpProfile, SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM);
  assert.equal(pair.server.srtpProfile, SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM);
  // RFC 5764 §4.2: client key, server key, client salt, server salt, cut from one export.
  const keys = pair.client.srtpKeyingMaterial()!;
  assert.deepEqual(keys, pair.server.srtpKeyingMaterial());
  const exported = pair.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 88);
  assert.deepEqual(
    Buffer.concat([keys.clientMasterKey, keys.serverMasterKey, keys.clientMasterSalt, keys.serverMasterSalt]),
    Buffer.from(exported),
  );
  assert.deepEqual([keys.clientMasterKey.length, keys.clientMasterSalt.length], [32, 12]);
});

test('without use_srtp on one side no profile is negotiated', () => {
  const pair = linkedPair({ srtpProfiles: [] }, {});
  pair.client.start();
  pair.clock.advance(100);
  assert.equal(pair.client.state, 'connected');
  assert.equal(pair.server.srtpProfile, undefined);
  assert.equal(pair.client.srtpKeyingMaterial(), undefined);
});

const isFinalServerFlight = (d: SentDatagram) =>
  d.from === 'server' && decodeRecords(d.bytes).some((r) => r.contentType === ContentType.change_cipher_spec);

test('a lost flight is retransmitted after 1 s, then 2 s more (RFC 6347 §4.2.4.1)', () => {
  const pair = linkedPair();
  const client = watch(pair.client);
  let dropped = 0;
  // Drop the server's last flight (ChangeCipherSpec + Finished) twice: only the client's timer recovers it.
  pair.drop((d) => isFinalServerFlight(d) && dropped++ < 2);
  pair.client.start();
  pair.clock.advance(30_000);
  assert.ok(client.connected);
  const flight5Sends = pair.log
    .filter((d) => d.from === 'client')
    .filter((d) => decodeRecords(d.bytes).some((r) => r.contentType === ContentType.change_cipher_spec))
    .map((d) => d.at);
  const first = flight5Sends[0]!;
  assert.deepEqual(
    flight5Sends.map((at) => at - first),
    [0, 1000, 3000],
  );
  assert.equal(
    pair.log.filter(isFinalServerFlight).length,
    3,
    'the server resent its last flight on each retransmission',
  );
});

test('retransmission doubles up to 60 s, then the handshake fails with a timeout', () => {
  const pair = linkedPair();
  const client = watch(pair.client);
  pair.drop((d) => d.from === 'server');
  pair.client.start();
  pair.clock.advance(400_000);
  const sends = pair.log.filter((d) => d.from === 'client').map((d) => d.at);
  assert.deepEqual(sends, [0, 1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000]);
  assert.equal(pair.client.state, 'failed');
  assert.ok(client.errors[0] instanceof DtlsTimeoutError);
  assert.equal(pair.clock.pendingTimers, 0);
});

test('a lost client flight 5 is recovered when the server retransmits flight 4', () => {
  const pair = linkedPair();
  const client = watch(pair.client);
  const server = watch(pair.server);
  let dropped = 0;
  pair.drop(
    (d) => d.from === 'client' && decodeRecords(d.bytes).some((r) => r.epoch === 1) && dropped++ === 0,
  );
  pair.client.start();
  pair.clock.advance(5000);
  assert.ok(client.connected && server.connected);
});

test('the handshake completes over a link losing a quarter of its datagrams', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const pair = linkedPair();
    const random = seededRandom(seed);
    pair.drop(() => random() < 0.25);
    const client = watch(pair.client);
    const server = watch(pair.server);
    pair.client.start();
    pair.clock.advance(300_000);
    assert.ok(client.connected && server.connected, `seed ${seed}: ${client.errors} ${server.errors}`);
  }
});

test('a wrong fingerprint fails the connection with a fatal bad_certificate alert', () => {
  for (const side of ['client', 'server'] as const) {
    const wrong = [generateCertificate().fingerprint];
    const pair = linkedPair(
      side === 'client' ? { remoteFingerprints: wrong } : {},
      side === 'server' ? { remoteFingerprints: wrong } : {},
    );
    const client = watch(pair.client);
    const server = watch(pair.server);
    pair.client.start();
    pair.clock.advance(10_000);
    const [checker, peer] = side === 'client' ? [client, server] : [server, client];
    assert.equal(pair.client.state, 'failed');
    assert.equal(pair.server.state, 'failed');
    assert.ok(!checker.connected);
    const local = checker.errors[0];
    assert.ok(
      local instanceof DtlsAlertError && local.description === AlertDescription.bad_certificate,
      String(local),
    );
    const remote = peer.errors[0];
    assert.ok(
      remote instanceof DtlsRemoteAlertError && remote.description === AlertDescription.bad_certificate,
    );
  }
});

test('at a small MTU every datagram fits and handshake messages are fragmented', () => {
  const pair = linkedPair(
    { mtu: 256, certificate: rsaCertificate },
    { mtu: 256, certificate: rsaCertificate },
  );
  const client = watch(pair.client);
  const server = watch(pair.server);
  pair.client.start();
  pair.clock.advance(1000);
  assert.ok(client.connected && server.connected);
  assert.ok(pair.log.every((d) => d.bytes.length <= 256));
  const fragments = pair.log
    .flatMap((d) => decodeRecords(d.bytes))
    .filter((r) => r.contentType === ContentType.handshake && r.epoch === 0)
    .flatMap((r) => decodeHandshakeFragments(r.fragment));
  assert.ok(fragments.some((f) => f.fragmentOffset > 0 && f.msgType === HandshakeType.certificate));
});

test('a server reassembles a ClientHello that arrives in fragments (as large browser hellos do)', () => {
  const pair = linkedPair({ mtu: 128 }, { mtu: 128 });
  const client = watch(pair.client);
  pair.client.start();
  pair.clock.advance(1000);
  assert.ok(client.connected);
  assert.ok(pair.log.every((d) => d.bytes.length <= 128));
  const [firstHello] = decodeRecords(pair.log[0]!.bytes).flatMap((r) => decodeHandshakeFragments(r.fragment));
  assert.equal(firstHello?.msgType, HandshakeType.client_hello);
  assert.ok(firstHello!.body.length < firstHello!.length, 'the ClientHello was sent in fragments');
});

test('spoofed ClientHellos with huge record numbers get a stateless answer and do not block the client', () => {
  const pair = linkedPair();
  const client = watch(pair.client);
  const hello = encodeClientHello({
    clientVersion: DTLS_1_2,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: { extendedMasterSecret: true },
  });
  pair.server.handleDatagram(
    encodeRecord({
      contentType: ContentType.handshake,
      version: DTLS_1_2,
      epoch: 0,
      sequenceNumber: 2 ** 40,
      fragment: encodeHandshakeMessage(HandshakeType.client_hello, 0, hello).raw,
    }),
  );
  const reply = decodeRecords(pair.log[0]!.bytes)[0]!;
  assert.equal(decodeHandshakeFragments(reply.fragment)[0]?.msgType, HandshakeType.hello_verify_request);
  assert.equal(reply.sequenceNumber, 2 ** 40, 'the HelloVerifyRequest echoes the record number');
  pair.client.start();
  pair.clock.advance(100);
  assert.ok(client.connected);
});

test('a replayed or tampered application record is dropped (RFC 6347 §4.1.2.6, §4.1.2.7)', () => {
  const pair = linkedPair();
  const server = watch(pair.server);
  pair.client.start();
  pair.clock.advance(100);
  pair.client.send(Buffer.from('once'));
  pair.clock.advance(10);
  pair.server.handleDatagram(pair.log.at(-1)!.bytes);
  let heldBack = 0;
  // Hold back the next client datagram so the test delivers it (and forgeries of it) by hand.
  pair.drop((d) => d.from === 'client' && heldBack++ === 0);
  pair.client.send(Buffer.from('twice'));
  const record = pair.log.at(-1)!.bytes;
  const tampered = record.slice();
  tampered[tampered.length - 1]! ^= 0x80;
  pair.server.handleDatagram(tampered);
  pair.server.handleDatagram(record);
  pair.server.handleDatagram(record);
  assert.deepEqual(server.data, ['once', 'twice']);
  assert.equal(pair.server.state, 'connected');
});

test('close_notify closes both sides', () => {
  const pair = linkedPair();
  const server = watch(pair.server);
  pair.client.start();
  pair.clock.advance(100);
  pair.client.close();
  pair.clock.advance(100);
  assert.equal(pair.client.state, 'closed');
  assert.equal(pair.server.state, 'closed');
  assert.ok(server.closed);
  assert.deepEqual(server.errors, []);
  assert.throws(() => pair.client.send(Uint8Array.of(1)));
});

test('renegotiation is refused with a no_renegotiation warning and the connection stays up', () => {
  const pair = linkedPair();
  pair.client.start();
  pair.clock.advance(100);
  const hello = encodeClientHello({
    clientVersion: DTLS_1_2,
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: { extendedMasterSecret: true },
  });
  const before = pair.log.length;
  pair.server.handleDatagram(
    encodeRecord({
      contentType: ContentType.handshake,
      version: DTLS_1_2,
      epoch: 0,
      sequenceNumber: 100,
      fragment: encodeHandshakeMessage(HandshakeType.client_hello, 9, hello).raw,
    }),
  );
  const replies = pair.log.slice(before).flatMap((d) => decodeRecords(d.bytes));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.contentType, ContentType.alert);
  assert.equal(replies[0]!.epoch, 1);
  pair.clock.advance(100);
  assert.equal(pair.server.state, 'connected');
  assert.equal(pair.client.state, 'connected');
});

test('a server without cookies and a ClientHello lacking extended_master_secret', () => {
  const pair = linkedPair({}, { cookieSecret: null });
  const client = watch(pair.client);
  pair.client.start();
  pair.clock.advance(100);
  assert.ok(client.connected);
  const types = pair.log.flatMap((d) =>
    decodeRecords(d.bytes)
      .filter((r) => r.epoch === 0 && r.contentType === ContentType.handshake)
      .flatMap((r) => decodeHandshakeFragments(r.fragment).map((f) => f.msgType)),
  );
  assert.ok(!types.includes(HandshakeType.hello_verify_request));

  // RFC 7627 §5.3: we abort a handshake without the extended master secret.
  const strict = linkedPair({}, { cookieSecret: null });
  const server = watch(strict.server);
  const hello = encodeClientHello({
    clientVersion: DTLS_1_2,
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: { supportedGroups: [29], signatureAlgorithms: [0x0403] },
  });
  strict.server.handleDatagram(
    encodeRecord({
      contentType: ContentType.handshake,
      version: DTLS_1_2,
      epoch: 0,
      sequenceNumber: 0,
      fragment: encodeHandshakeMessage(HandshakeType.client_hello, 0, hello).raw,
    }),
  );
  const alert = decodeRecords(strict.log.at(-1)!.bytes)[0]!;
  assert.deepEqual(
    [alert.contentType, ...alert.fragment],
    [ContentType.alert, 2, AlertDescription.handshake_failure],
  );
  assert.equal(strict.server.state, 'failed');
  assert.ok(server.errors[0] instanceof DtlsAlertError);
});
