import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ChannelPair } from './test-channels.ts';

function block(n: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 64) bytes[i] = (n + i) & 0xff;
  return bytes;
}

test('writable → readable moves 4 MiB intact, and a stalled reader stops the writer (backpressure)', async () => {
  const pair = new ChannelPair({ delayMs: 5 }, { receiveWindow: 256 * 1024 });
  await pair.connect();
  const channel = pair.a.createDataChannel('pipe');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const remote = pair.openedOnB[0]!;
  const reader = remote.readable.getReader();
  const writer = channel.writable.getWriter();
  const size = 16 * 1024;
  const count = 256;
  const sent = createHash('sha256');
  let written = 0;
  const producing = (async () => {
    for (let n = 0; n < count; n++) {
      const chunk = block(n, size);
      sent.update(chunk);
      await writer.write(chunk);
      written++;
    }
    await writer.close();
  })();

  // Nobody reads for two seconds: the receive window closes and the writer blocks.
  const pauseUntil = pair.sctp.clock.now() + 2000;
  await pair.runUntil(() => pair.sctp.clock.now() >= pauseUntil, 5000, 5);
  assert.ok(written < count / 2, `writer blocked after ${written} writes`);
  assert.ok(channel.bufferedAmount >= 512 * 1024, `sender holds ${channel.bufferedAmount} bytes`);
  assert.ok(pair.sctp.a.congestion!.peerWindow < size, `peer window ${pair.sctp.a.congestion!.peerWindow}`);

  const received = createHash('sha256');
  let bytes = 0;
  let done = false;
  const consuming = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      assert.ok(value instanceof Uint8Array);
      received.update(value);
      bytes += value.length;
    }
    done = true;
  })();
  await pair.runUntil(() => done, 120_000, 5);
  await producing;
  await consuming;
  assert.equal(bytes, size * count);
  assert.equal(received.digest('hex'), sent.digest('hex'));
  assert.equal(remote.readyState, 'closed', 'closing the writable closed the channel');
});

test('strings and binary keep their kind through the streams', async () => {
  const pair = new ChannelPair();
  await pair.connect();
  const channel = pair.a.createDataChannel('mixed');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const reader = pair.openedOnB[0]!.readable.getReader();
  const writer = channel.writable.getWriter();
  await writer.write('text');
  await writer.write(Uint8Array.of(1, 2));
  await writer.write('');
  const values: Array<string | Uint8Array> = [];
  const reading = (async () => {
    for (let i = 0; i < 3; i++) values.push((await reader.read()).value!);
  })();
  await pair.runUntil(() => values.length === 3);
  await reading;
  assert.deepEqual(values, ['text', Uint8Array.of(1, 2), '']);
});
