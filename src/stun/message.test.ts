import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addAttribute,
  classifyPacket,
  createStunMessage,
  type DecodedStunMessage,
  decodeMessageType,
  decodeStunMessage,
  ERROR_CODE,
  encodeMessageType,
  encodeStunMessage,
  formatIp,
  getAttribute,
  ICE_CONTROLLING,
  looksLikeStun,
  MAPPED_ADDRESS,
  parseIp,
  StunDecodeError,
  type StunMessage,
  StunMethod,
  stunAttributeCodec,
  UNKNOWN_ATTRIBUTES,
  USE_CANDIDATE,
  USERHASH,
  unknownComprehensionRequired,
  userHash,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  XOR_MAPPED_ADDRESS,
} from './index.ts';

test('message type bits interleave method and class (RFC 8489 §5)', () => {
  assert.equal(encodeMessageType(StunMethod.Binding, 'request'), 0x0001);
  assert.equal(encodeMessageType(StunMethod.Binding, 'success'), 0x0101);
  assert.equal(encodeMessageType(StunMethod.Binding, 'error'), 0x0111);
  assert.equal(encodeMessageType(StunMethod.Send, 'indication'), 0x0016);
  assert.equal(encodeMessageType(StunMethod.Allocate, 'error'), 0x0113);
  assert.equal(encodeMessageType(0xfff, 'error'), 0x3fff);
  for (let method = 0; method < 0x1000; method += 7) {
    for (const cls of ['request', 'indication', 'success', 'error'] as const) {
      assert.deepEqual(decodeMessageType(encodeMessageType(method, cls)), { method, class: cls });
    }
  }
});

test('integrity (SHA-1 and SHA-256) and fingerprint cover exactly the bytes before them', () => {
  const message = createStunMessage(StunMethod.Binding, 'request');
  addAttribute(message, ICE_CONTROLLING, 42n);
  addAttribute(message, USE_CANDIDATE, true);
  const key = new TextEncoder().encode('secret');
  const bytes = encodeStunMessage(message, { integrityKey: key, integritySha256Key: key, fingerprint: true });
  const decoded = decodeStunMessage(bytes);
  assert.equal(verifyMessageIntegrity(decoded, key), true);
  assert.equal(verifyMessageIntegritySha256(decoded, key), true);
  assert.equal(verifyFingerprint(decoded), true);
  assert.equal(getAttribute(decoded, USE_CANDIDATE), true);
  assert.equal(getAttribute(decoded, ICE_CONTROLLING), 42n);
  const tampered = bytes.slice();
  tampered[27] = (tampered[27] as number) ^ 1;
  const bad = decodeStunMessage(tampered);
  assert.equal(verifyMessageIntegrity(bad, key), false);
  assert.equal(verifyMessageIntegritySha256(bad, key), false);
  assert.equal(verifyFingerprint(bad), false);
  assert.equal(verifyMessageIntegrity(decoded, new Uint8Array([1])), false);
});

test('a message inside a larger Buffer (a stream frame) verifies, and decoding never writes to it', () => {
  const message = createStunMessage(StunMethod.Binding, 'request');
  addAttribute(message, XOR_MAPPED_ADDRESS, { family: 'IPv6', address: '2001:db8::7', port: 9 });
  const key = new Uint8Array([1, 2, 3]);
  const bytes = encodeStunMessage(message, { integrityKey: key, integritySha256Key: key, fingerprint: true });
  const pool = Buffer.alloc(bytes.length + 64, 0xee);
  pool.set(bytes, 40);
  const before = Buffer.from(pool);
  const decoded = decodeStunMessage(pool.subarray(40, 40 + bytes.length));
  assert.equal(verifyMessageIntegrity(decoded, key), true);
  assert.equal(verifyMessageIntegritySha256(decoded, key), true);
  assert.equal(verifyFingerprint(decoded), true);
  assert.deepEqual(getAttribute(decoded, XOR_MAPPED_ADDRESS)?.address, '2001:db8::7');
  assert.deepEqual(pool, before);
});

test('attributes after MESSAGE-INTEGRITY are ignored, nothing may follow FINGERPRINT (RFC 8489 §14.5, §14.7)', () => {
  const message = createStunMessage(StunMethod.Binding, 'request');
  const key = new Uint8Array([7]);
  const signed = encodeStunMessage(message, { integrityKey: key });
  const withExtra = new Uint8Array(signed.length + 8);
  withExtra.set(signed);
  withExtra.set([0x80, 0x22, 0x00, 0x01, 0x41, 0, 0, 0], signed.length);
  new DataView(withExtra.buffer).setUint16(2, withExtra.length - 20);
  const decoded = decodeStunMessage(withExtra);
  assert.deepEqual(
    decoded.attributes.map((a) => a.type),
    [0x0008],
  );
  assert.equal(verifyMessageIntegrity(decoded, key), true);

  const printed = encodeStunMessage(message, { fingerprint: true });
  const afterPrint = new Uint8Array(printed.length + 8);
  afterPrint.set(printed);
  afterPrint.set([0x80, 0x22, 0x00, 0x01, 0x41, 0, 0, 0], printed.length);
  new DataView(afterPrint.buffer).setUint16(2, afterPrint.length - 20);
  assert.throws(() => decodeStunMessage(afterPrint), StunDecodeError);
});

test('typed attributes: addresses, ERROR-CODE, UNKNOWN-ATTRIBUTES, USERHASH', () => {
  const message = createStunMessage(StunMethod.Binding, 'error');
  addAttribute(message, MAPPED_ADDRESS, { family: 'IPv6', address: '::ffff:192.0.2.9', port: 9 });
  addAttribute(message, XOR_MAPPED_ADDRESS, { family: 'IPv6', address: 'fe80::1:2:3:4', port: 65535 });
  addAttribute(message, ERROR_CODE, { code: 420, reason: 'Unknown Attribute' });
  addAttribute(message, UNKNOWN_ATTRIBUTES, [0x7777, 0x0003]);
  addAttribute(message, USERHASH, userHash('user', 'realm'));
  const decoded = decodeStunMessage(encodeStunMessage(message));
  assert.deepEqual(getAttribute(decoded, MAPPED_ADDRESS), {
    family: 'IPv6',
    address: '::ffff:c000:209',
    port: 9,
  });
  assert.deepEqual(getAttribute(decoded, XOR_MAPPED_ADDRESS), {
    family: 'IPv6',
    address: 'fe80::1:2:3:4',
    port: 65535,
  });
  assert.deepEqual(getAttribute(decoded, ERROR_CODE), { code: 420, reason: 'Unknown Attribute' });
  assert.deepEqual(getAttribute(decoded, UNKNOWN_ATTRIBUTES), [0x7777, 0x0003]);
  assert.equal(getAttribute(decoded, USERHASH)?.length, 32);
  assert.throws(() => addAttribute(message, ERROR_CODE, { code: 200, reason: '' }), RangeError);
});

test('comprehension-required attributes no layer defined are reported (RFC 8489 §6.3.1)', () => {
  const message = createStunMessage(StunMethod.Binding, 'request');
  message.attributes.push(
    { type: 0x7777, value: new Uint8Array(0) },
    { type: 0xc001, value: new Uint8Array(0) },
  );
  addAttribute(message, USE_CANDIDATE, true);
  assert.deepEqual(unknownComprehensionRequired(decodeStunMessage(encodeStunMessage(message))), [0x7777]);
  assert.equal(stunAttributeCodec(0x0020)?.name, 'XOR-MAPPED-ADDRESS');
});

test('malformed framing is a typed error', () => {
  const good = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'));
  const cases: [Uint8Array, string][] = [
    [good.subarray(0, 19), 'truncated'],
    [Uint8Array.from([0x80, ...good.subarray(1)]), 'not-stun'],
    [Uint8Array.from([...good.subarray(0, 4), 0, 0, 0, 0, ...good.subarray(8)]), 'bad-magic-cookie'],
    [Uint8Array.from([0, 1, 0, 2, ...good.subarray(4), 0, 0]), 'bad-length'],
    [Uint8Array.from([0, 1, 0, 4, ...good.subarray(4), 0, 1, 0, 9]), 'truncated'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(
      () => decodeStunMessage(bytes),
      (error: unknown) => error instanceof StunDecodeError && error.code === code,
    );
  }
  const badFamily = createStunMessage(StunMethod.Binding, 'success');
  badFamily.attributes.push({ type: 0x0020, value: Uint8Array.from([0, 3, 0, 0, 1, 2, 3, 4]) });
  assert.throws(() => getAttribute(badFamily, XOR_MAPPED_ADDRESS), StunDecodeError);
  const shortAddress = createStunMessage(StunMethod.Binding, 'success');
  shortAddress.attributes.push({ type: 0x0020, value: Uint8Array.from([0, 1]) });
  assert.throws(() => getAttribute(shortAddress, XOR_MAPPED_ADDRESS), StunDecodeError);
});

test('RFC 7983 first-byte demux', () => {
  assert.equal(classifyPacket(0), 'stun');
  assert.equal(classifyPacket(3), 'stun');
  assert.equal(classifyPacket(4), 'unknown');
  assert.equal(classifyPacket(17), 'zrtp');
  assert.equal(classifyPacket(22), 'dtls');
  assert.equal(classifyPacket(64), 'turn-channel');
  assert.equal(classifyPacket(79), 'turn-channel');
  assert.equal(classifyPacket(80), 'unknown');
  assert.equal(classifyPacket(128), 'rtp');
  assert.equal(classifyPacket(192), 'unknown');
  const good = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'));
  assert.equal(looksLikeStun(good), true);
  assert.equal(looksLikeStun(good.subarray(0, 19)), false);
});

test('IP text forms', () => {
  assert.equal(
    formatIp(parseIp('2001:0DB8:0000:0000:0001:0000:0000:0001')?.bytes as Uint8Array),
    '2001:db8::1:0:0:1',
  );
  assert.equal(formatIp(parseIp('1:0:2:0:3:0:4:0')?.bytes as Uint8Array), '1:0:2:0:3:0:4:0');
  assert.equal(formatIp(parseIp('fe80::1%eth0')?.bytes as Uint8Array), 'fe80::1');
  assert.equal(formatIp(parseIp('::')?.bytes as Uint8Array), '::');
  assert.equal(formatIp(parseIp('::1')?.bytes as Uint8Array), '::1');
  assert.equal(parseIp('::ffff:1.2.3.4')?.bytes.length, 16);
  for (const bad of ['', '1.2.3', '256.0.0.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'x::', '01.2.3.4.5', ':::']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

const arbitraryAttribute = fc.record({
  type: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 0x0008 && t !== 0x001c && t !== 0x8028),
  value: fc.uint8Array({ maxLength: 40 }),
});
const arbitraryMessage = fc.record({
  method: fc.integer({ min: 0, max: 0xfff }),
  class: fc.constantFrom('request', 'indication', 'success', 'error' as const),
  transactionId: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  attributes: fc.array(arbitraryAttribute, { maxLength: 8 }),
});

function withoutOffsets(message: DecodedStunMessage) {
  return {
    ...message,
    raw: undefined,
    attributes: message.attributes.map(({ type, value }) => ({ type, value })),
  };
}

/** Decodes, then reads every attribute through the table; only StunDecodeError may escape. */
function decodeAll(bytes: Uint8Array): DecodedStunMessage | undefined {
  try {
    const message = decodeStunMessage(bytes);
    for (const attribute of message.attributes) {
      const codec = stunAttributeCodec(attribute.type);
      if (codec) getAttribute(message, codec);
    }
    verifyMessageIntegrity(message, new Uint8Array([1]));
    verifyMessageIntegritySha256(message, new Uint8Array([1]));
    verifyFingerprint(message);
    return message;
  } catch (error) {
    if (error instanceof StunDecodeError) return undefined;
    throw error;
  }
}

test('fuzz: encode then decode gives the message back', () => {
  fc.assert(
    fc.property(arbitraryMessage, fc.boolean(), (message: StunMessage, fingerprint) => {
      const bytes = encodeStunMessage(message, { fingerprint, integrityKey: new Uint8Array([1]) });
      const decoded = decodeStunMessage(bytes);
      assert.equal(verifyFingerprint(decoded), fingerprint);
      assert.equal(verifyMessageIntegrity(decoded, new Uint8Array([1])), true);
      const plain = decoded.attributes.filter((a) => a.type !== 0x0008 && a.type !== 0x8028);
      assert.deepEqual(
        plain.map(({ type, value }) => ({ type, value })),
        message.attributes.map(({ type, value }) => ({ type, value })),
      );
      assert.deepEqual(decoded.transactionId, message.transactionId);
      assert.equal(decoded.method, message.method);
      assert.equal(decoded.class, message.class);
    }),
    { numRuns: 500 },
  );
});

test('fuzz: decoding random and mutated bytes throws only StunDecodeError; decode-encode-decode is stable', () => {
  const seeds = fc
    .tuple(arbitraryMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
    .map(([message, flips]) => {
      const bytes = encodeStunMessage(message, { fingerprint: true }).slice();
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), seeds), (bytes) => {
      const decoded = decodeAll(bytes);
      if (!decoded) return;
      const again = decodeStunMessage(encodeStunMessage(decoded));
      assert.deepEqual(withoutOffsets(again), withoutOffsets(decoded));
    }),
    { numRuns: 3000 },
  );
});
