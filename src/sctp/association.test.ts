import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ErrorCauseCode } from './chunks/types.ts';
import type { SctpAssociationError } from './errors.ts';
import { AssociationPair } from './test-pair.ts';

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

test('two associations connect through an INIT collision and exchange a message each way', async () => {
  const pair = new AssociationPair();
  await pair.connect();
  assert.equal(pair.a.negotiated?.interleaved, true);
  assert.equal(pair.a.negotiated?.sendZeroChecksum, true);
  pair.a.send(1, 51, new TextEncoder().encode('hello'));
  pair.b.send(2, 53, Uint8Array.of(1, 2, 3));
  await pair.runUntil(() => pair.receivedByA.length === 1 && pair.receivedByB.length === 1, 1000);
  assert.equal(new TextDecoder().decode(pair.receivedByB[0]!.data), 'hello');
  assert.equal(pair.receivedByB[0]!.ppid, 51);
  assert.deepEqual([...pair.receivedByA[0]!.data], [1, 2, 3]);
});

test('one side connecting to a passive peer works, with DATA (no I-DATA) and checksums', async () => {
  const pair = new AssociationPair({}, { interleaving: false, zeroChecksum: false });
  pair.a.connect();
  await pair.runUntil(() => pair.a.state === 'established' && pair.b.state === 'established', 5000);
  assert.equal(pair.b.negotiated?.interleaved, false);
  for (const size of [1, 1000, 1172, 1173, 65536, 256 * 1024]) {
    pair.a.send(0, 53, pattern(size, size));
  }
  await pair.runUntil(() => pair.receivedByB.length === 6, 10_000);
  assert.deepEqual(
    pair.receivedByB.map((m) => m.data.length),
    [1, 1000, 1172, 1173, 65536, 256 * 1024],
  );
  for (const message of pair.receivedByB)
    assert.deepEqual(message.data, pattern(message.data.length, message.data.length));
});

for (const interleaving of [true, false]) {
  test(`messages from 1 byte to 1 MiB arrive intact (${interleaving ? 'I-DATA' : 'DATA'})`, async () => {
    const options = { maxMessageSize: 1 << 20, remoteMaxMessageSize: 1 << 20, interleaving };
    const pair = new AssociationPair({ delayMs: 5 }, options);
    await pair.connect();
    const sizes = [1, 2, 100, 1171, 1172, 1173, 16 * 1024, 64 * 1024, 1 << 20];
    for (const size of sizes) pair.a.send(3, 53, pattern(size, size + 7));
    await pair.runUntil(() => pair.receivedByB.length === sizes.length, 60_000);
    assert.deepEqual(
      pair.receivedByB.map((m) => m.data.length),
      sizes,
    );
    for (const message of pair.receivedByB) {
      assert.deepEqual(message.data, pattern(message.data.length, message.data.length + 7));
    }
  });
}

test('8 MiB over 5% loss, reordering and 50 ms delay arrives intact and in order (SHA-256)', async () => {
  const pair = new AssociationPair({ lossRate: 0.05, reorderRate: 0.05, delayMs: 50, jitterMs: 5, seed: 7 });
  await pair.connect();
  const sent = createHash('sha256');
  const total = 8 << 20;
  const size = 16 * 1024;
  for (let offset = 0, n = 0; offset < total; offset += size, n++) {
    const chunk = pattern(size, n);
    sent.update(chunk);
    pair.a.send(0, 53, chunk);
  }
  let received = 0;
  const got = createHash('sha256');
  pair.b.handlers.onMessage = (_stream, _ppid, data) => {
    received += data.length;
    got.update(data);
  };
  await pair.runUntil(() => received === total, 600_000, 5);
  assert.equal(got.digest('hex'), sent.digest('hex'));
  assert.ok(pair.link.stats.dropped > 100, `the link dropped ${pair.link.stats.dropped} packets`);
});

test('zero checksums are used only towards a peer that announced them (RFC 9653)', async () => {
  const pair = new AssociationPair({}, { zeroChecksum: true }, { zeroChecksum: false });
  await pair.connect();
  assert.equal(pair.a.negotiated?.sendZeroChecksum, false, 'b did not announce acceptance');
  assert.equal(pair.b.negotiated?.sendZeroChecksum, false, 'b does not use it either');
  pair.a.send(0, 51, Uint8Array.of(1));
  await pair.runUntil(() => pair.receivedByB.length === 1, 1000);
});

test('a stale state cookie (§5.2.6) restarts the handshake, and a path too slow for it gives up', async () => {
  const slow = new AssociationPair({ delayMs: 40 }, { maxInitRetransmits: 3 }, { cookieLifetimeMs: 50 });
  let error: SctpAssociationError | undefined;
  slow.a.handlers.onClose = (e) => {
    error = e;
  };
  slow.a.connect();
  await slow.runUntil(() => slow.a.state === 'closed', 10_000);
  assert.equal(error?.causeCode, ErrorCauseCode.STALE_COOKIE);
  assert.equal(slow.b.state, 'closed');

  const fine = new AssociationPair({ delayMs: 40 }, {}, { cookieLifetimeMs: 100 });
  fine.a.connect();
  await fine.runUntil(() => fine.a.state === 'established' && fine.b.state === 'established', 10_000);
});
