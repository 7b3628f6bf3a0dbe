import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeRelativePath } from './file-name.ts';
import { StreamingSha256 } from './hashing.ts';
import type { ControlMessage, OfferMessage } from './protocol.ts';
import { FileReceiver, type ReceiverEvent } from './receiver.ts';

test('relative paths keep their folders, each segment made safe, never leaving the folder', () => {
  assert.equal(safeRelativePath('photos/2024/a.jpg'), 'photos/2024/a.jpg');
  assert.equal(safeRelativePath('../../etc/passwd'), 'file/file/etc/passwd');
  assert.equal(safeRelativePath('/abs//./x\\y.txt'), 'abs/x_y.txt');
  assert.equal(safeRelativePath('.hidden/nul.txt'), 'hidden/_nul.txt');
  assert.equal(safeRelativePath('///'), 'file');
});

const offer: OfferMessage = {
  type: 'offer',
  version: 1,
  transferId: 'transfer-1',
  chunkSize: 1024,
  files: [
    { index: 0, name: 'dir/a.bin', size: 4000, type: '', lastModified: 0 },
    { index: 1, name: 'b.bin', size: 10, type: '', lastModified: 0 },
    { index: 2, name: 'c.bin', size: 10, type: '', lastModified: 0 },
  ],
};

function receiverWithOffer() {
  const sent: ControlMessage[] = [];
  const events: ReceiverEvent[] = [];
  const receiver = new FileReceiver({
    keepFolders: true,
    openSink: async () => ({ write: async () => {}, close: async () => {}, abort: async () => {} }),
    onEvent: (event) => events.push(event),
  });
  receiver.attach({
    send: (data) => sent.push(JSON.parse(data as string) as ControlMessage),
    bufferedAmount: () => 0,
    drained: async () => {},
  });
  receiver.handleMessage(offer);
  return { receiver, sent, events };
}

test('a restarted receiver resumes from what an earlier run stored, and re-reports finished files', () => {
  const { receiver, sent, events } = receiverWithOffer();
  assert.equal(receiver.files[0]!.description.name, 'dir/a.bin');
  const twoChunks = new StreamingSha256().update(new Uint8Array(2048));
  receiver.restore(0, 2, twoChunks);
  receiver.restoreVerified(1, 'ab'.repeat(32));
  receiver.accept([0, 1, 2]);
  assert.deepEqual(sent.slice(1), [
    {
      type: 'accept',
      transferId: 'transfer-1',
      files: [
        { index: 0, fromChunk: 2 },
        { index: 2, fromChunk: 0 },
      ],
    },
    { type: 'file-result', transferId: 'transfer-1', index: 1, ok: true, sha256: 'ab'.repeat(32) },
  ]);
  assert.equal(receiver.files[0]!.storedBytes, 2048);
  assert.equal(receiver.files[1]!.state, 'verified');
  assert.ok(!events.some((e) => e.type === 'complete'), 'files 0 and 2 are still to come');
});

test('restore refuses a hash state that does not cover exactly the chunks it claims', () => {
  const { receiver } = receiverWithOffer();
  assert.throws(() => receiver.restore(0, 2, new StreamingSha256().update(new Uint8Array(100))), RangeError);
  assert.throws(() => receiver.restore(0, 5, new StreamingSha256()), RangeError);
  assert.throws(() => receiver.restore(9, 0, new StreamingSha256()), RangeError);
  // The last chunk of a file is shorter: 4 chunks of a 4000-byte file cover 4000 bytes.
  receiver.restore(0, 4, new StreamingSha256().update(new Uint8Array(4000)));
});
