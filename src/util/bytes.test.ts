import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader, ByteWriter, TruncatedInputError } from './bytes.ts';

test('ByteWriter and ByteReader round-trip every width', () => {
  const written = new ByteWriter(2)
    .u8(0xab)
    .u16(0xbeef)
    .u24(0x123456)
    .u32(0xdeadbeef)
    .u48(0x1234_5678_9abc)
    .u64(0x0102030405060708n)
    .bytes(Uint8Array.of(9, 9))
    .finish();
  const reader = new ByteReader(written);
  assert.equal(reader.u8(), 0xab);
  assert.equal(reader.u16(), 0xbeef);
  assert.equal(reader.u24(), 0x123456);
  assert.equal(reader.u32(), 0xdeadbeef);
  assert.equal(reader.u48(), 0x1234_5678_9abc);
  assert.equal(reader.u64(), 0x0102030405060708n);
  assert.deepEqual([...reader.rest()], [9, 9]);
  assert.equal(reader.remaining, 0);
});

test('ByteReader refuses to read past its end with a typed error naming the field', () => {
  const reader = new ByteReader(Uint8Array.of(1, 2, 3));
  const inner = reader.sub(2, 'inner');
  inner.u16();
  assert.throws(
    () => inner.u8('flag'),
    (error: unknown) => {
      assert.ok(error instanceof TruncatedInputError);
      assert.equal(error.field, 'flag');
      return true;
    },
  );
  assert.throws(() => reader.bytes(5, 'body'), TruncatedInputError);
  assert.throws(() => reader.bytes(-1, 'negative'), TruncatedInputError);
});
