import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssociationPair } from './test-pair.ts';

for (const interleaving of [true, false]) {
  test(`TSNs wrap past 2^32 under loss without losing or reordering data (${interleaving ? 'I-DATA' : 'DATA'})`, async () => {
    const pair = new AssociationPair(
      { lossRate: 0.05, reorderRate: 0.05, delayMs: 20, seed: 12 },
      { initialTsn: 0xffffffff - 150, interleaving },
    );
    await pair.connect();
    for (let n = 0; n < 100; n++) {
      pair.a.send(1, 53, new Uint8Array(3000).fill(n));
      pair.a.send(2, 53, new Uint8Array(10).fill(n), { unordered: true });
    }
    await pair.runUntil(() => pair.receivedByB.length === 200, 600_000, 5);
    const ordered = pair.receivedByB.filter((m) => m.streamId === 1);
    assert.deepEqual(
      ordered.map((m) => m.data[0]),
      [...Array(100).keys()],
    );
    for (const message of ordered) assert.ok(message.data.every((byte) => byte === message.data[0]));
  });
}

test('the 16-bit SSN wraps after 65536 ordered messages on one stream', async () => {
  const pair = new AssociationPair({}, { interleaving: false });
  await pair.connect();
  const total = 70_000;
  let next = 0;
  let inOrder = true;
  pair.b.handlers.onMessage = (_stream, _ppid, data) => {
    if (new DataView(data.buffer, data.byteOffset).getUint32(0) !== next) inOrder = false;
    next++;
  };
  for (let n = 0; n < total; n++) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, n);
    pair.a.send(0, 53, bytes);
  }
  await pair.runUntil(() => next === total, 60_000);
  assert.ok(inOrder);
});
