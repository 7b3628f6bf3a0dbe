import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from './crc32c.ts';

// RFC 3720 Appendix B.4: the CRC32c examples (the bytes as transmitted, least significant first).
const rfc3720Vectors: Array<[string, Uint8Array, number]> = [
  ['32 bytes of zeroes', new Uint8Array(32), 0x8a9136aa],
  ['32 bytes of ones', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  [
    'an iSCSI SCSI Read (10) command PDU',
    Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]),
    0xd9963a56,
  ],
];

for (const [name, bytes, expected] of rfc3720Vectors) {
  test(`crc32c matches RFC 3720 B.4: ${name}`, () => {
    assert.equal(crc32c(bytes), expected);
  });
}

test('crc32c of "123456789" is the catalogue check value, for every split of the fast and slow loop', () => {
  const text = new TextEncoder().encode('xx123456789yy');
  assert.equal(crc32c(text, 2, 11), 0xe3069283);
  // A bitwise reference over every length 0..40 proves the 8-byte slices agree with the byte loop.
  const data = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
  for (let length = 0; length <= data.length; length++) {
    let crc = 0xffffffff;
    for (let i = 0; i < length; i++) {
      crc ^= data[i]!;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    assert.equal(crc32c(data, 0, length), (crc ^ 0xffffffff) >>> 0, `length ${length}`);
  }
});

test('crc32c continues over pieces exactly as over the whole', () => {
  const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 13) & 0xff);
  for (const split of [0, 1, 7, 8, 9, 50, 99, 100]) {
    assert.equal(crc32c(data, split, 100, crc32c(data, 0, split)), crc32c(data), `split ${split}`);
  }
});
