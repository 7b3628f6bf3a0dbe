import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
// The TURN rows join the same table; loading them here checks their decoders with the STUN ones.
import '../turn/attributes.ts';
import {
  defineStunAttribute,
  MAPPED_ADDRESS,
  type StunAttributeCodec,
  StunDecodeError,
  stunAttributeCodec,
  XOR_MAPPED_ADDRESS,
} from './index.ts';

function registeredCodecs(): StunAttributeCodec<unknown>[] {
  const codecs: StunAttributeCodec<unknown>[] = [];
  for (let type = 0; type <= 0xffff; type++) {
    const codec = stunAttributeCodec(type);
    if (codec) codecs.push(codec);
  }
  return codecs;
}

/** Decodes, and says 'ok' or 'refused'; any other outcome fails the assertion. */
function outcome(codec: StunAttributeCodec<unknown>, value: Uint8Array): 'ok' | 'refused' {
  try {
    codec.decode(value, new Uint8Array(12));
    return 'ok';
  } catch (error) {
    assert.ok(
      error instanceof StunDecodeError,
      `${codec.name} threw ${(error as Error).name} for ${value.length} bytes instead of a StunDecodeError`,
    );
    return 'refused';
  }
}

test('every attribute decoder refuses every short value with a StunDecodeError', () => {
  const codecs = registeredCodecs();
  assert.ok(codecs.length >= 25, `the STUN and TURN rows are registered (${codecs.length})`);
  for (const codec of codecs) {
    for (let length = 0; length <= 24; length++) {
      outcome(codec, new Uint8Array(length));
      outcome(codec, new Uint8Array(length).fill(0xff));
      outcome(codec, new Uint8Array(length).fill(0x01));
      outcome(codec, new Uint8Array(length).fill(0x02));
    }
  }
});

test('fuzz: any value given to any attribute decoder decodes or is a StunDecodeError', () => {
  const codecs = registeredCodecs();
  fc.assert(
    fc.property(fc.constantFrom(...codecs), fc.uint8Array({ maxLength: 40 }), (codec, value) => {
      outcome(codec, value);
    }),
    { numRuns: 5000 },
  );
});

test('address attributes of 1 to 3 bytes are malformed, not a crash (the TURN CreatePermission case)', () => {
  for (const codec of [MAPPED_ADDRESS, XOR_MAPPED_ADDRESS]) {
    for (const value of [Uint8Array.of(0), Uint8Array.of(0, 1), Uint8Array.of(0, 1, 0x12)]) {
      assert.throws(
        () => codec.decode(value, new Uint8Array(12)),
        (error: unknown) => error instanceof StunDecodeError && error.code === 'bad-attribute',
      );
    }
  }
});

test('a row defined by another layer cannot leak its own errors: the table wraps them', () => {
  const sloppy = defineStunAttribute<number>({
    type: 0xbeef,
    name: 'SLOPPY-TEST-ATTRIBUTE',
    encode: () => new Uint8Array(0),
    decode: (value) => new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0),
  });
  assert.throws(
    () => sloppy.decode(Uint8Array.of(1), new Uint8Array(12)),
    (error: unknown) =>
      error instanceof StunDecodeError &&
      error.code === 'bad-attribute' &&
      error.message.startsWith('SLOPPY-TEST-ATTRIBUTE') &&
      error.cause instanceof RangeError,
  );
  assert.equal(sloppy.decode(Uint8Array.of(0, 0, 1, 0), new Uint8Array(12)), 256);
});
