import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ChannelPair } from './test-channels.ts';

function block(n: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i + 4 <= size; i += 256) view.setUint32(i, n * 7919 + i);
  return bytes;
}

async function transfer(pair: ChannelPair, total: number, size: number, options = {}): Promise<void> {
  await pair.connect();
  const channel = pair.a.createDataChannel('file', options);
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const remote = pair.openedOnB[0]!;
  const got = createHash('sha256');
  let received = 0;
  remote.binaryType = 'arraybuffer';
  remote.onmessage = (event) => {
    const data = new Uint8Array((event as MessageEvent).data as ArrayBuffer);
    got.update(data);
    received += data.length;
  };
  const sent = createHash('sha256');
  let offset = 0;
  let n = 0;
  const pump = () => {
    while (offset < total && channel.bufferedAmount < 1024 * 1024) {
      const chunk = block(n++, Math.min(size, total - offset));
      sent.update(chunk);
      channel.send(chunk);
      offset += chunk.length;
    }
  };
  channel.bufferedAmountLowThreshold = 512 * 1024;
  channel.onbufferedamountlow = pump;
  pump();
  await pair.runUntil(() => received === total, 3_600_000, 5);
  assert.equal(got.digest('hex'), sent.digest('hex'));
}

test('100 MiB through a data channel arrives intact (SHA-256), with backpressure from bufferedamountlow', async () => {
  await transfer(new ChannelPair({ delayMs: 1 }), 100 << 20, 64 * 1024);
});

test('4 MiB over 5% loss, reordering and 50 ms delay arrives intact through a data channel', async () => {
  await transfer(
    new ChannelPair({ lossRate: 0.05, reorderRate: 0.05, delayMs: 50, jitterMs: 5, seed: 42 }),
    4 << 20,
    16 * 1024,
  );
});

test('an unordered maxRetransmits=0 channel over a lossy link drops only lost messages, intact otherwise', async () => {
  const pair = new ChannelPair({ lossRate: 0.05, delayMs: 30, seed: 8 });
  await pair.connect();
  const channel = pair.a.createDataChannel('telemetry', { ordered: false, maxRetransmits: 0 });
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const received: string[] = [];
  pair.openedOnB[0]!.onmessage = (event) => received.push((event as MessageEvent).data as string);
  for (let i = 0; i < 500; i++) channel.send(`sample ${i} `.padEnd(300, '.'));
  await pair.runUntil(
    () => pair.sctp.a.congestion!.flightSize === 0 && channel.bufferedAmount === 0,
    600_000,
    5,
  );
  pair.sctp.clock.advance(5000);
  assert.equal(new Set(received).size, received.length);
  for (const message of received) assert.match(message, /^sample \d+ \.+$/);
  assert.ok(
    received.length < 500 && received.length >= 500 - pair.sctp.link.stats.dropped * 4,
    `${received.length} of 500`,
  );
});
