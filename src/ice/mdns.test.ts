import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteWriter } from '../util/index.ts';
import { DnsDecodeError, decodeMdnsResponse, encodeMdnsQuery } from './mdns.ts';

const name = '0d5f0c4e-1111-4222-8333-444455556666.local';

test('encodes a one-question query (RFC 1035 §4.1.2, ID 0 per RFC 6762 §18.1)', () => {
  const query = encodeMdnsQuery(name, 'A');
  assert.deepEqual([...query.subarray(0, 12)], [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(query[12], 36);
  assert.equal(new TextDecoder().decode(query.subarray(13, 49)), name.slice(0, 36));
  assert.deepEqual([...query.subarray(-4)], [0, 1, 0, 1]);
  assert.deepEqual([...encodeMdnsQuery(name, 'AAAA').subarray(-4)], [0, 28, 0, 1]);
  assert.throws(() => encodeMdnsQuery(`${'x'.repeat(64)}.local`, 'A'), RangeError);
});

/** A response as Chromium's responder sends it: the answer's name, then a compressed second record. */
function response(): Uint8Array {
  const writer = new ByteWriter();
  writer.u16(0).u16(0x8400).u16(0).u16(2).u16(0).u16(0);
  const nameAt = writer.length;
  for (const label of name.split('.')) writer.u8(label.length).bytes(new TextEncoder().encode(label));
  writer
    .u8(0)
    .u16(1)
    .u16(0x8001)
    .u32(120)
    .u16(4)
    .bytes(new Uint8Array([192, 0, 2, 2]));
  writer
    .u16(0xc000 | nameAt)
    .u16(28)
    .u16(0x8001)
    .u32(120)
    .u16(16);
  writer.bytes(new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
  return writer.finish();
}

test('decodes A and AAAA answers, following name compression (RFC 1035 §4.1.4)', () => {
  assert.deepEqual(decodeMdnsResponse(response()), {
    id: 0,
    records: [
      { name, type: 'A', address: '192.0.2.2', ttl: 120 },
      { name, type: 'AAAA', address: 'fd00::2', ttl: 120 },
    ],
  });
});

test('rejects truncated input, forward or looping pointers and queries with DnsDecodeError', () => {
  const bytes = response();
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => decodeMdnsResponse(bytes.subarray(0, cut)), DnsDecodeError, `cut at ${cut}`);
  }
  const looping = new Uint8Array([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12]);
  assert.throws(() => decodeMdnsResponse(looping), /backwards/);
  assert.throws(() => decodeMdnsResponse(encodeMdnsQuery(name, 'A')), /not a response/);
});

test('arbitrary bytes never throw anything but DnsDecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      bytes[2] = (bytes[2] ?? 0) | 0x80;
      try {
        decodeMdnsResponse(bytes);
      } catch (error) {
        if (!(error instanceof DnsDecodeError)) throw error;
      }
    }),
    { numRuns: 3000 },
  );
});
