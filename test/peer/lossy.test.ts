/**
 * Two RTCPeerConnections over a lossy virtual network in virtual time (5 % loss, 50 ms delay, jitter that
 * reorders): the whole stack (ICE, DTLS handshake retransmissions, SCTP recovery) still connects, a
 * reliable transfer arrives intact, and a partially reliable channel loses only what it may.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { RTCDataChannel } from '../../src/peer/index.ts';
import { virtualPeers } from '../../src/peer/virtual-peers.ts';

test('5 % loss, 50 ms delay and reordering: 1 MiB intact, partial reliability drops only messages', {
  timeout: 60_000,
}, async (t) => {
  const peers = virtualPeers({ loss: 0.05, delayMs: 50, jitterMs: 10 });
  t.after(() => peers.close());
  const { a, b } = peers;
  const reliable = a.createDataChannel('reliable');
  const partial = a.createDataChannel('partial', { ordered: false, maxRetransmits: 0 });
  const remote = new Map<string, RTCDataChannel>();
  b.ondatachannel = (event) => remote.set(event.channel.label, event.channel);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await peers.runUntil(
    () => reliable.readyState === 'open' && partial.readyState === 'open' && remote.size === 2,
  );
  assert.equal(a.connectionState, 'connected');
  assert.equal(b.connectionState, 'connected');

  const data = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  let received = 0;
  for (const channel of remote.values()) channel.binaryType = 'arraybuffer';
  remote.get('reliable')!.onmessage = (event) => {
    const bytes = new Uint8Array((event as MessageEvent).data as ArrayBuffer);
    hash.update(bytes);
    received += bytes.length;
  };
  const partialReceived: number[] = [];
  remote.get('partial')!.onmessage = (event) => {
    const bytes = new Uint8Array((event as MessageEvent).data as ArrayBuffer);
    // Every message that arrives is whole: 1,000 bytes of its own index.
    assert.equal(bytes.length, 1000);
    assert.ok(bytes.every((byte) => byte === bytes[0]));
    partialReceived.push(bytes[0]!);
  };
  for (let offset = 0; offset < data.length; offset += 16 * 1024)
    reliable.send(data.subarray(offset, offset + 16 * 1024));
  for (let i = 0; i < 200; i++) partial.send(new Uint8Array(1000).fill(i));
  await peers.runUntil(() => received === data.length, 600_000);
  assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
  assert.ok(
    partialReceived.length < 200,
    `some partial messages were dropped (${partialReceived.length} arrived)`,
  );
  assert.ok(partialReceived.length > 100, `most partial messages arrived (${partialReceived.length})`);
  assert.equal(new Set(partialReceived).size, partialReceived.length, 'no duplicates');
  t.diagnostic(
    `virtual network: ${JSON.stringify(peers.network.stats)}, partial ${partialReceived.length}/200`,
  );
});
