import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TruncatedInputError } from '../util/index.ts';
import { DcepDecodeError, decodeDcep, encodeDcepAck, encodeDcepOpen } from './dcep.ts';

test('DATA_CHANNEL_OPEN has the RFC 8832 §5.1 layout', () => {
  const bytes = encodeDcepOpen({
    ordered: false,
    maxRetransmits: 3,
    priority: 256,
    label: 'chat',
    protocol: 'x',
  });
  assert.deepEqual(
    [...bytes],
    [0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 4, 0, 1, 0x63, 0x68, 0x61, 0x74, 0x78],
  );
  assert.deepEqual(decodeDcep(bytes), {
    type: 3,
    ordered: false,
    maxRetransmits: 3,
    priority: 256,
    label: 'chat',
    protocol: 'x',
  });
});

test('every channel type round-trips, and ACK is one byte', () => {
  const cases = [
    { ordered: true },
    { ordered: false },
    { ordered: true, maxPacketLifeTime: 1500 },
    { ordered: false, maxPacketLifeTime: 0 },
    { ordered: true, maxRetransmits: 0 },
  ];
  for (const reliability of cases) {
    const open = { ...reliability, priority: 512, label: 'ünïcode ✓', protocol: '' };
    assert.deepEqual(decodeDcep(encodeDcepOpen(open)), { type: 3, ...open });
  }
  assert.deepEqual([...encodeDcepAck()], [2]);
  assert.deepEqual(decodeDcep(encodeDcepAck()), { type: 2 });
});

test('truncated or unknown DCEP messages are typed errors', () => {
  const open = encodeDcepOpen({ ordered: true, priority: 0, label: 'abc', protocol: 'de' });
  for (let cut = 0; cut < open.length; cut++) {
    assert.throws(() => decodeDcep(open.subarray(0, cut)), TruncatedInputError);
  }
  assert.throws(() => decodeDcep(Uint8Array.of(7)), DcepDecodeError);
  const badType = open.slice();
  badType[1] = 0x05;
  assert.throws(() => decodeDcep(badType), DcepDecodeError);
});

test('fuzz: the DCEP decoder throws only typed errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeDcep(bytes);
      } catch (error) {
        if (!(error instanceof DcepDecodeError || error instanceof TruncatedInputError)) throw error;
      }
    }),
    { numRuns: 20_000 },
  );
});
