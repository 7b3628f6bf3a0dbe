import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { StreamingSha256 } from './hashing.ts';
import {
  chunkCount,
  chunkLength,
  decodeChunkFrame,
  decodeControlMessage,
  decodeFrame,
  encodeChunkFrame,
  encodeControlMessage,
  FileTransferProtocolError,
  negotiateVersion,
} from './protocol.ts';

test('chunk frames round-trip with a 7-byte big-endian header', () => {
  const data = new Uint8Array([1, 2, 3]);
  const encoded = encodeChunkFrame({ fileIndex: 0x0102, chunkIndex: 0x03040506, data });
  assert.deepEqual([...encoded], [1, 1, 2, 3, 4, 5, 6, 1, 2, 3]);
  const decoded = decodeChunkFrame(encoded);
  assert.equal(decoded.fileIndex, 0x0102);
  assert.equal(decoded.chunkIndex, 0x03040506);
  assert.deepEqual([...decoded.data], [1, 2, 3]);
});

test('hostile binary frames are typed errors', () => {
  for (const bad of [[], [1, 0], [1, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 9]]) {
    assert.throws(() => decodeChunkFrame(new Uint8Array(bad)), FileTransferProtocolError);
  }
});

test('control messages round-trip and are validated', () => {
  const offer = {
    type: 'offer' as const,
    version: 1,
    transferId: 'abcdef0123456789',
    chunkSize: 65536,
    files: [{ index: 0, name: 'a.bin', size: 5, type: '', lastModified: 0 }],
  };
  assert.deepEqual(decodeControlMessage(encodeControlMessage(offer)), offer);
  const frame = decodeFrame(
    encodeControlMessage({ type: 'ack', transferId: 'abcdef0123456789', index: 0, chunks: 3 }),
  );
  assert.equal(frame.kind, 'control');
  const bad = [
    'not json',
    '[]',
    '{"type":"nope"}',
    '{"type":"offer","version":1,"transferId":"x","chunkSize":65536,"files":[]}',
    '{"type":"offer","version":1,"transferId":"abcdef0123456789","chunkSize":10,"files":[]}',
    '{"type":"offer","version":1,"transferId":"abcdef0123456789","chunkSize":65536,"files":[{"index":1,"name":"a","size":1}]}',
    '{"type":"ack","transferId":"abcdef0123456789","index":0,"chunks":-1}',
    '{"type":"file-end","transferId":"abcdef0123456789","index":0,"sha256":"ABC"}',
    `{"type":"error","code":"x","message":"${'m'.repeat(600)}"}`,
  ];
  for (const text of bad) assert.throws(() => decodeControlMessage(text), FileTransferProtocolError, text);
});

test('chunk arithmetic and version negotiation', () => {
  assert.equal(chunkCount(0, 1024), 0);
  assert.equal(chunkCount(1025, 1024), 2);
  assert.equal(chunkLength(1025, 1024, 1), 1);
  assert.equal(negotiateVersion([1, 2], [2, 3]), 2);
  assert.equal(negotiateVersion([1], [2]), undefined);
});

test('streaming SHA-256 matches node:crypto and clones independently', () => {
  const data = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
  const hasher = new StreamingSha256().update(data.subarray(0, 70_000));
  const snapshot = hasher.clone();
  hasher.update(data.subarray(70_000));
  const expected = createHash('sha256').update(data).digest('hex');
  assert.equal(hasher.hex(), expected);
  assert.equal(snapshot.update(data.subarray(70_000)).hex(), expected);
  assert.equal(hasher.length, 200_000);
});
