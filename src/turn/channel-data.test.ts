import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createStunMessage, encodeStunMessage, StunMethod } from '../stun/index.ts';
import { ChannelDataError, decodeChannelData, encodeChannelData, StreamFramer } from './channel-data.ts';

test('ChannelData: header, UDP form, stream padding (RFC 8656 §12.4, §12.5)', () => {
  const hello = new TextEncoder().encode('hello');
  const plain = encodeChannelData(0x4001, hello);
  assert.deepEqual([...plain.subarray(0, 4)], [0x40, 0x01, 0x00, 0x05]);
  assert.equal(plain.length, 9);
  const padded = encodeChannelData(0x4fff, hello, true);
  assert.equal(padded.length, 12);
  assert.deepEqual(decodeChannelData(padded), { channel: 0x4fff, data: hello });
  assert.throws(() => decodeChannelData(plain.subarray(0, 8)), ChannelDataError);
  assert.throws(() => decodeChannelData(Uint8Array.of(0x80, 0, 0, 0)), ChannelDataError);
  assert.throws(() => decodeChannelData(Uint8Array.of(0x40)), ChannelDataError);
  assert.throws(() => encodeChannelData(0x3fff, hello), RangeError);
});

test('stream framing cuts STUN and padded ChannelData at any chunk boundary', () => {
  const stun = encodeStunMessage(createStunMessage(StunMethod.Refresh, 'request'), { fingerprint: true });
  const channel = encodeChannelData(0x4002, Uint8Array.of(1, 2, 3, 4, 5), true);
  const empty = encodeChannelData(0x4003, new Uint8Array(0), true);
  const stream = new Uint8Array([...channel, ...stun, ...empty, ...stun]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 6 }), (cuts) => {
      const framer = new StreamFramer();
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const frames: Uint8Array[] = [];
      let from = 0;
      for (const point of [...points, stream.length]) {
        frames.push(...framer.push(stream.slice(from, point)));
        from = point;
      }
      assert.deepEqual(
        frames.map((frame) => frame.length),
        [channel.length, stun.length, empty.length, stun.length],
      );
      assert.deepEqual(frames[1], stun);
    }),
  );
  assert.throws(() => new StreamFramer().push(Uint8Array.of(0x80, 0, 0, 0)), ChannelDataError);
});

test('fuzz: ChannelData decoding throws only ChannelDataError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      try {
        const { data } = decodeChannelData(bytes);
        assert.ok(data.length + 4 <= bytes.length);
      } catch (error) {
        assert.ok(error instanceof ChannelDataError);
      }
    }),
    { numRuns: 2000 },
  );
});
