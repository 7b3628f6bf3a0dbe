import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ControlMessage,
  DEFAULT_CHUNK_SIZE,
  decodeControlMessage,
  decodeFrame,
  FileTransferProtocolError,
  MAX_CONTROL_MESSAGE_LENGTH,
  OfferTooLargeError,
} from './protocol.ts';
import { FileSender, type FileSource, type FileTransport } from './sender.ts';

const transferId = 'offer-size-test';
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function source(name: string, extra: Partial<FileSource> = {}): FileSource {
  return {
    name,
    size: 1,
    type: '',
    lastModified: 0,
    read: async () => new Uint8Array(1),
    ...extra,
  };
}

/**
 * The offer's JSON as the receiver would get it, built here rather than by the code under test; UTF-8
 * bytes do not depend on the order of the keys.
 */
function offerText(names: string[]): string {
  return JSON.stringify({
    type: 'offer',
    version: 1,
    transferId,
    chunkSize: DEFAULT_CHUNK_SIZE,
    files: names.map((name, index) => ({ index, name, size: 1, type: '', lastModified: 0 })),
  });
}

/** 1,000 names of `unit` repeated, padded with ASCII so that the offer is exactly `target` UTF-8 bytes. */
function namesForOfferOf(target: number, unit: string): string[] {
  const names = Array.from({ length: 1000 }, () => unit.repeat(Math.floor(190 / bytes(unit))));
  const missing = target - bytes(offerText(names));
  assert.ok(missing >= 0, 'the base offer already exceeds the target');
  for (let i = 0; i < missing; i++) names[i % names.length] += 'a';
  assert.equal(bytes(offerText(names)), target);
  return names;
}

/** Starts the sender on a transport that records what it sends, and makes it offer. */
function offerThrough(sender: FileSender, maxMessageSize?: number): string[] {
  const sent: string[] = [];
  const transport: FileTransport = {
    send: (data) => sent.push(typeof data === 'string' ? data : '<binary>'),
    bufferedAmount: () => 0,
    drained: async () => {},
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
  };
  sender.attach(transport);
  sender.handleMessage({ type: 'hello', versions: [1], role: 'receiver' });
  return sent.slice(1);
}

function controlMessage(text: string): ControlMessage {
  const frame = decodeFrame(text);
  assert.equal(frame.kind, 'control');
  return (frame as { message: ControlMessage }).message;
}

test('1,000 files with 250-character names are refused on the sender with a sentence saying why', () => {
  const names = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}${'n'.repeat(246)}`);
  const expectedBytes = bytes(offerText(names));
  assert.ok(expectedBytes > MAX_CONTROL_MESSAGE_LENGTH);
  // The receiver would reject it: this is what the sender must not send.
  assert.throws(() => decodeControlMessage(offerText(names)), FileTransferProtocolError);
  assert.throws(
    () =>
      new FileSender(
        names.map((name) => source(name)),
        { transferId },
      ),
    (error: unknown) => {
      assert.ok(error instanceof OfferTooLargeError);
      assert.equal(error.code, 'offer_too_large');
      assert.equal(error.fileCount, 1000);
      assert.equal(error.encodedBytes, expectedBytes);
      assert.equal(error.maxBytes, 262_144);
      assert.equal(
        error.message,
        `An offer of 1,000 files would be ${expectedBytes.toLocaleString('en-US')} bytes, over the ` +
          '262,144-byte limit of one offer: send fewer files at a time, or shorten their names.',
      );
      return true;
    },
  );
});

for (const [script, unit] of [
  ['ASCII', 'n'],
  ['2-byte é', 'é'],
  ['3-byte €', '€'],
  ['4-byte emoji', '😀'],
] as const) {
  test(`an offer of ${script} names: sent at and just under the byte cap, refused one byte over`, () => {
    for (const target of [MAX_CONTROL_MESSAGE_LENGTH - 1, MAX_CONTROL_MESSAGE_LENGTH]) {
      const names = namesForOfferOf(target, unit);
      const sender = new FileSender(
        names.map((name) => source(name)),
        { transferId },
      );
      const [offer] = offerThrough(sender);
      assert.equal(bytes(offer!), target, 'the offer on the wire is the one measured');
      const decoded = controlMessage(offer!);
      assert.equal(decoded.type === 'offer' && decoded.files.length, 1000, 'and the receiver takes it');
    }
    const over = namesForOfferOf(MAX_CONTROL_MESSAGE_LENGTH + 1, unit);
    // Counted in UTF-16 units, a multi-byte offer looks smaller than it is: the limit is in bytes.
    if (unit !== 'n') assert.ok(offerText(over).length < MAX_CONTROL_MESSAGE_LENGTH);
    assert.throws(() => decodeControlMessage(offerText(over)), FileTransferProtocolError);
    assert.throws(
      () =>
        new FileSender(
          over.map((name) => source(name)),
          { transferId },
        ),
      (error: unknown) =>
        error instanceof OfferTooLargeError && error.encodedBytes === MAX_CONTROL_MESSAGE_LENGTH + 1,
    );
  });
}

test('more files than one offer carries are refused, with the count in the sentence', () => {
  const sources = Array.from({ length: 1001 }, (_, i) => source(`${i}.txt`));
  assert.throws(
    () => new FileSender(sources, { transferId }),
    (error: unknown) =>
      error instanceof OfferTooLargeError &&
      error.message ===
        'This offer has 1,001 files; one offer carries at most 1,000. Send them in several transfers.',
  );
  assert.doesNotThrow(() => new FileSender(sources.slice(0, 1000), { transferId }));
});

test('a name longer than an offer carries is refused on the sender', () => {
  assert.throws(
    () => new FileSender([source('ok.txt'), source(`${'x'.repeat(1021)}.txt`)], { transferId }),
    (error: unknown) =>
      error instanceof OfferTooLargeError && /file 2 is 1,025 characters/.test(error.message),
  );
});

test('a peer that takes smaller messages gets an error instead of an offer it cannot receive', () => {
  const events: string[] = [];
  const sender = new FileSender(
    Array.from({ length: 500 }, (_, i) => source(`${i}-${'n'.repeat(150)}.bin`)),
    { transferId, onEvent: (event) => event.type === 'error' && events.push(event.error.message) },
  );
  const sent = offerThrough(sender, 65_536);
  assert.equal(sent.length, 1);
  const message = controlMessage(sent[0]!);
  assert.equal(message.type, 'error');
  assert.equal(message.type === 'error' && message.code, 'offer_too_large');
  assert.match(events[0] ?? '', /^An offer of 500 files would be [\d,]+ bytes, over the 65,536-byte limit/);
});

test('a file time before 1970 or with a fraction, or an over-long MIME type, does not spoil the offer', () => {
  const sender = new FileSender(
    [
      source('old.txt', { lastModified: -86_400_000 }),
      source('node.txt', { lastModified: 1_700_000_000_123.75 }),
      source('odd.bin', { type: `application/${'x'.repeat(300)}` }),
    ],
    { transferId },
  );
  const offer = controlMessage(offerThrough(sender)[0]!);
  assert.equal(offer.type, 'offer');
  assert.deepEqual(offer.type === 'offer' && offer.files.map((f) => [f.lastModified, f.type]), [
    [0, ''],
    [1_700_000_000_123, ''],
    [0, ''],
  ]);
});
