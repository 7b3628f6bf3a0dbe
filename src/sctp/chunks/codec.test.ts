import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, TruncatedInputError } from '../../util/index.ts';
import { SctpDecodeError } from '../errors.ts';
import { decodePacket, encodePacket } from '../packet.ts';
import { decodeChunk, encodeChunk } from './codec.ts';
import { type Chunk, ChunkType, ReconfigParameterType } from './types.ts';

const data: Chunk = {
  type: ChunkType.DATA,
  unordered: false,
  beginning: true,
  ending: true,
  immediate: false,
  tsn: 1,
  streamId: 2,
  sequence: 3,
  fragment: 0,
  ppid: 51,
  payload: new TextEncoder().encode('abc'),
};

test('a DATA chunk has the RFC 9260 §3.3.1 layout, padded to four bytes', () => {
  assert.deepEqual(
    [...encodeChunk(data)],
    [
      0x00,
      0x03,
      0x00,
      0x13, // type 0, flags B|E, length 19
      0x00,
      0x00,
      0x00,
      0x01, // TSN
      0x00,
      0x02,
      0x00,
      0x03, // stream 2, SSN 3
      0x00,
      0x00,
      0x00,
      0x33, // PPID 51
      0x61,
      0x62,
      0x63,
      0x00, // "abc" and one byte of padding
    ],
  );
});

test('an I-DATA chunk carries the MID, and the PPID only on its first fragment (RFC 8260 §2.1)', () => {
  const first: Chunk = { ...data, type: ChunkType.I_DATA, ending: false, sequence: 0x01020304, ppid: 53 };
  assert.deepEqual(
    [...encodeChunk(first).subarray(0, 20)],
    [0x40, 0x02, 0x00, 0x17, 0, 0, 0, 1, 0, 2, 0, 0, 1, 2, 3, 4, 0, 0, 0, 53],
  );
  const middle: Chunk = { ...first, beginning: false, fragment: 9, ppid: 0 };
  assert.deepEqual([...encodeChunk(middle).subarray(16, 20)], [0, 0, 0, 9]);
});

const samples: Chunk[] = [
  data,
  { ...data, type: ChunkType.I_DATA, unordered: true, beginning: false, ending: true, fragment: 7, ppid: 0 },
  {
    type: ChunkType.INIT,
    initiateTag: 0xabcdef01,
    advertisedWindow: 1 << 20,
    outboundStreams: 1024,
    inboundStreams: 65535,
    initialTsn: 0xfffffffe,
    supportedExtensions: [0x82, 0xc0, 0x40, 0xc2],
    forwardTsnSupported: true,
    zeroChecksumMethod: 1,
    unrecognizedParameters: [],
  },
  {
    type: ChunkType.INIT_ACK,
    initiateTag: 5,
    advertisedWindow: 4096,
    outboundStreams: 1,
    inboundStreams: 1,
    initialTsn: 0,
    stateCookie: Uint8Array.of(1, 2, 3, 4, 5),
    supportedExtensions: [],
    forwardTsnSupported: false,
    unrecognizedParameters: [Uint8Array.of(0x40, 0x99, 0x00, 0x05, 0xee)],
  },
  {
    type: ChunkType.SACK,
    cumulativeTsnAck: 100,
    advertisedWindow: 65536,
    gapBlocks: [
      { start: 2, end: 4 },
      { start: 7, end: 7 },
    ],
    duplicateTsns: [99, 98],
  },
  { type: ChunkType.HEARTBEAT, info: Uint8Array.of(9, 8, 7) },
  { type: ChunkType.HEARTBEAT_ACK, info: Uint8Array.of(9, 8, 7, 6) },
  { type: ChunkType.ABORT, reflectedTag: true, causes: [{ code: 12, body: Uint8Array.of(0x41) }] },
  {
    type: ChunkType.ERROR,
    causes: [
      { code: 3, body: Uint8Array.of(0, 0, 1, 0) },
      { code: 13, body: new Uint8Array(0) },
    ],
  },
  { type: ChunkType.SHUTDOWN, cumulativeTsnAck: 0xffffffff },
  { type: ChunkType.SHUTDOWN_ACK },
  { type: ChunkType.SHUTDOWN_COMPLETE, reflectedTag: true },
  { type: ChunkType.COOKIE_ECHO, cookie: Uint8Array.of(1, 2, 3) },
  { type: ChunkType.COOKIE_ACK },
  {
    type: ChunkType.FORWARD_TSN,
    newCumulativeTsn: 77,
    streams: [{ streamId: 1, sequence: 9, unordered: false }],
  },
  {
    type: ChunkType.I_FORWARD_TSN,
    newCumulativeTsn: 78,
    streams: [
      { streamId: 1, sequence: 0x10000, unordered: true },
      { streamId: 4, sequence: 2, unordered: false },
    ],
  },
  {
    type: ChunkType.RE_CONFIG,
    parameters: [
      {
        type: ReconfigParameterType.OUTGOING_SSN_RESET_REQUEST,
        requestSequence: 10,
        responseSequence: 20,
        senderLastTsn: 30,
        streams: [1, 3, 5],
      },
      { type: ReconfigParameterType.RECONFIGURATION_RESPONSE, responseSequence: 7, result: 1 },
    ],
  },
];

for (const chunk of samples) {
  test(`chunk type ${chunk.type} round-trips through encodeChunk and decodeChunk`, () => {
    const bytes = encodeChunk(chunk);
    assert.equal(bytes.length % 4, 0);
    const reader = new ByteReader(bytes);
    assert.deepEqual(decodeChunk(reader), chunk);
    assert.equal(reader.remaining, 0);
  });
}

test('a packet round-trips with its CRC32c, and any corrupted byte is refused', () => {
  const header = { sourcePort: 5000, destinationPort: 5001, verificationTag: 0x12345678 };
  const packet = encodePacket(header, [samples[4]!, data]);
  assert.deepEqual(decodePacket(packet), { ...header, chunks: [samples[4], data] });
  for (let i = 0; i < packet.length; i++) {
    const corrupted = packet.slice();
    corrupted[i]! ^= 0x01;
    assert.throws(() => decodePacket(corrupted), SctpDecodeError, `byte ${i}`);
  }
});

test('a zero checksum is accepted only when announced, and never on INIT (RFC 9653)', () => {
  const header = { sourcePort: 5000, destinationPort: 5000, verificationTag: 1 };
  const packet = encodePacket(header, [data], { zeroChecksum: true });
  assert.throws(() => decodePacket(packet), SctpDecodeError);
  assert.equal(decodePacket(packet, { acceptZeroChecksum: true }).chunks.length, 1);
  const init = encodePacket({ ...header, verificationTag: 0 }, [samples[2]!], { zeroChecksum: true });
  assert.throws(() => decodePacket(init, { acceptZeroChecksum: true }), SctpDecodeError);
});

test('unknown chunks and INIT parameters follow the action bits of RFC 9260 §3.2 and §3.2.1', () => {
  const unknown = decodeChunk(new ByteReader(Uint8Array.of(0xbf, 0x01, 0x00, 0x06, 0xaa, 0xbb, 0, 0)));
  assert.deepEqual(unknown, { type: 0xbf, unknown: true, flags: 1, value: Uint8Array.of(0xaa, 0xbb) });
  const init = encodeChunk(samples[2]!);
  // Append an unknown parameter 0x4123 (report, then stop) and a Forward-TSN-Supported after it.
  const extra = Uint8Array.of(0x41, 0x23, 0x00, 0x05, 0x77, 0, 0, 0, 0xc0, 0x00, 0x00, 0x04);
  const withUnknown = new Uint8Array(init.length + extra.length);
  withUnknown.set(init);
  withUnknown.set(extra, init.length);
  new DataView(withUnknown.buffer).setUint16(2, withUnknown.length);
  const decoded = decodeChunk(new ByteReader(withUnknown));
  assert.ok(decoded.type === ChunkType.INIT && 'unrecognizedParameters' in decoded);
  assert.deepEqual(decoded.unrecognizedParameters, [Uint8Array.of(0x41, 0x23, 0x00, 0x05, 0x77)]);
});

test('fuzz: chunk and packet decoders only ever throw typed errors, and never hang', () => {
  const typed = (error: unknown) => error instanceof SctpDecodeError || error instanceof TruncatedInputError;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        const reader = new ByteReader(bytes);
        while (reader.remaining > 0) decodeChunk(reader);
      } catch (error) {
        if (!typed(error)) throw error;
      }
      try {
        decodePacket(bytes, { acceptZeroChecksum: true });
      } catch (error) {
        if (!typed(error)) throw error;
      }
    }),
    { numRuns: 20_000 },
  );
  // Mutations of valid chunks reach deeper into each decoder than random bytes do.
  const valid = samples.map(encodeChunk);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: valid.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
      (index, edits, cut) => {
        const bytes = valid[index]!.slice(0, Math.max(0, valid[index]!.length - (cut % 8)));
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        try {
          const reader = new ByteReader(bytes);
          while (reader.remaining > 0) decodeChunk(reader);
        } catch (error) {
          if (!typed(error)) throw error;
        }
      },
    ),
    { numRuns: 20_000 },
  );
});
