import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decodeFrame, type FileDescription } from './protocol.ts';
import { FileReceiver, type FileSink } from './receiver.ts';
import { FileSender, type FileSource, type FileTransport } from './sender.ts';

function source(name: string, bytes: Uint8Array): FileSource {
  return {
    name,
    size: bytes.length,
    type: 'application/octet-stream',
    lastModified: 0,
    read: async (offset, length) => bytes.slice(offset, offset + length),
  };
}

function pattern(size: number, seed: number): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * seed + (i >> 8)) & 0xff);
}

/** An in-memory channel pair; `cut()` makes both ends go silent, as a dropped peer connection does. */
function link(sender: FileSender, receiver: FileReceiver, maxBuffered: { value: number }) {
  let open = true;
  let queued = 0;
  const waiters: (() => void)[] = [];
  const toReceiver: FileTransport = {
    send(data) {
      if (!open) return;
      queued += typeof data === 'string' ? data.length : data.length;
      maxBuffered.value = Math.max(maxBuffered.value, queued);
      const copy = typeof data === 'string' ? data : data.slice();
      setImmediate(() => {
        queued -= typeof copy === 'string' ? copy.length : copy.length;
        if (queued <= 256 * 1024) for (const wake of waiters.splice(0)) wake();
        if (!open) return;
        const frame = decodeFrame(copy);
        if (frame.kind === 'control') receiver.handleMessage(frame.message);
        else receiver.handleChunk(frame.frame);
      });
    },
    bufferedAmount: () => queued,
    drained: () => new Promise((resolve) => waiters.push(resolve)),
  };
  const toSender: FileTransport = {
    send(data) {
      if (!open) return;
      setImmediate(() => {
        if (!open) return;
        const frame = decodeFrame(data);
        if (frame.kind === 'control') sender.handleMessage(frame.message);
      });
    },
    bufferedAmount: () => 0,
    drained: async () => {},
  };
  receiver.attach(toSender);
  sender.attach(toReceiver);
  return {
    cut() {
      open = false;
      sender.detach();
      receiver.detach();
      for (const wake of waiters.splice(0)) wake();
    },
  };
}

class MemorySink implements FileSink {
  readonly parts: Uint8Array[] = [];
  closed = false;
  aborted?: string;
  async write(data: Uint8Array) {
    this.parts.push(data.slice());
  }
  async close() {
    this.closed = true;
  }
  async abort(reason: string) {
    this.aborted = reason;
  }
  sha256() {
    const hash = createHash('sha256');
    for (const part of this.parts) hash.update(part);
    return hash.digest('hex');
  }
}

function setup(files: Uint8Array[]) {
  const sinks = new Map<number, MemorySink>();
  let offered!: (files: readonly FileDescription[]) => void;
  let received!: () => void;
  let delivered!: () => void;
  const offer = new Promise<readonly FileDescription[]>((resolve) => {
    offered = resolve;
  });
  const done = new Promise<void>((resolve) => {
    received = resolve;
  });
  const senderDone = new Promise<void>((resolve) => {
    delivered = resolve;
  });
  const sources = files.map((bytes, i) => source(`f${i}.bin`, bytes));
  const sender = new FileSender(sources, {
    transferId: 'test-transfer-1',
    chunkSize: 4096,
    maxBufferedBytes: 64 * 1024,
    maxUnackedBytes: 128 * 1024,
    onEvent: (e) => {
      if (e.type === 'complete') delivered();
    },
  });
  const receiver = new FileReceiver({
    openSink: async (file) => {
      const sink = new MemorySink();
      sinks.set(file.index, sink);
      return sink;
    },
    onEvent: (e) => {
      if (e.type === 'offer') offered(e.files);
      if (e.type === 'complete') received();
    },
  });
  return { sender, receiver, sinks, done, senderDone, offer };
}

test('several files arrive whole, verified, within the buffer and window limits', async () => {
  const files = [pattern(300_000, 7), pattern(0, 1), pattern(4096, 3), pattern(123_457, 11)];
  const { sender, receiver, sinks, done, senderDone, offer } = setup(files);
  const maxBuffered = { value: 0 };
  link(sender, receiver, maxBuffered);
  assert.deepEqual(
    (await offer).map((f) => [f.name, f.size]),
    files.map((f, i) => [`f${i}.bin`, f.length]),
  );
  receiver.accept([0, 1, 2, 3]);
  await done;
  files.forEach((bytes, i) => {
    const sink = sinks.get(i)!;
    assert.equal(sink.sha256(), createHash('sha256').update(bytes).digest('hex'));
    assert.ok(sink.closed);
    assert.equal(receiver.files[i]!.state, 'verified');
  });
  await senderDone;
  assert.ok(sender.files.every((f) => f.state === 'verified'));
  assert.ok(maxBuffered.value <= 64 * 1024 + 4096 + 7 + 1024, `buffered peaked at ${maxBuffered.value}`);
});

test('a declined file is not sent and a declined offer ends the transfer', async () => {
  const files = [pattern(10_000, 5), pattern(20_000, 9)];
  const { sender, receiver, sinks, done, offer } = setup(files);
  link(sender, receiver, { value: 0 });
  await offer;
  receiver.accept([1]);
  await done;
  assert.equal(sinks.has(0), false);
  assert.equal(receiver.files[0]!.state, 'declined');
  assert.equal(sender.files[0]!.state, 'declined');
  assert.equal(receiver.files[1]!.state, 'verified');
});

test('a cut connection resumes from the last chunk the receiver checked, not from zero', async () => {
  const files = [pattern(400_000, 13), pattern(90_000, 17)];
  const { sender, receiver, sinks, done, offer } = setup(files);
  const first = link(sender, receiver, { value: 0 });
  await offer;
  receiver.accept([0, 1]);
  while (receiver.files[0]!.storedBytes < 100_000) await new Promise((resolve) => setImmediate(resolve));
  first.cut();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const storedAtCut = sinks.get(0)!.parts.length;
  assert.ok(storedAtCut > 0 && storedAtCut < 98);
  link(sender, receiver, { value: 0 });
  await done;
  files.forEach((bytes, i) => {
    assert.equal(sinks.get(i)!.sha256(), createHash('sha256').update(bytes).digest('hex'));
  });
  // Every chunk was stored exactly once: nothing was sent twice into storage.
  assert.equal(sinks.get(0)!.parts.length, Math.ceil(400_000 / 4096));
});

test('a file whose bytes differ from the announced hash is a visible failure, never stored as good', async () => {
  const { sender, receiver, sinks, done, senderDone, offer } = setup([pattern(50_000, 3)]);
  link(sender, receiver, { value: 0 });
  await offer;
  // Flip one byte after it left the sender, where no transport checksum would catch it.
  const original = receiver.handleChunk.bind(receiver);
  receiver.handleChunk = (frame) => {
    if (frame.chunkIndex === 3) frame.data[5]! ^= 0xff;
    original(frame);
  };
  receiver.accept([0]);
  await done;
  assert.equal(receiver.files[0]!.state, 'failed');
  assert.match(receiver.files[0]!.error ?? '', /SHA-256 mismatch/);
  assert.ok(sinks.get(0)!.aborted);
  assert.equal(sinks.get(0)!.closed, false);
  await senderDone;
  assert.equal(sender.files[0]!.state, 'failed');
});

test('the sender fits its chunks to the remote maxMessageSize before the first offer', () => {
  const sent: (string | Uint8Array)[] = [];
  const sender = new FileSender([source('a.bin', pattern(100_000, 3))], { transferId: 'test-transfer-2' });
  sender.attach({
    send: (data) => sent.push(data),
    bufferedAmount: () => 0,
    drained: async () => {},
    maxMessageSize: 16_384 + 7,
  });
  sender.handleMessage({ type: 'hello', versions: [1], role: 'receiver' });
  const offer = decodeFrame(sent.at(-1)!);
  assert.equal(offer.kind === 'control' && offer.message.type === 'offer' && offer.message.chunkSize, 16_384);
  assert.equal(sender.chunkSize, 16_384);
});

test('a receiver that lost its state (a reloaded page) can take the same files again from zero', async () => {
  const files = [pattern(50_000, 5), pattern(9_000, 7)];
  const first = setup(files);
  const firstLink = link(first.sender, first.receiver, { value: 0 });
  await first.offer;
  first.receiver.accept([0, 1]);
  await first.done;
  firstLink.cut();
  // A new page: a new receiver with nothing, the same sender.
  const sinks = new Map<number, MemorySink>();
  let complete!: () => void;
  const done = new Promise<void>((resolve) => {
    complete = resolve;
  });
  const receiver = new FileReceiver({
    openSink: async (file) => {
      const sink = new MemorySink();
      sinks.set(file.index, sink);
      return sink;
    },
    onEvent: (e) => {
      if (e.type === 'offer') setImmediate(() => receiver.accept([0, 1]));
      if (e.type === 'complete') complete();
    },
  });
  link(first.sender, receiver, { value: 0 });
  await done;
  files.forEach((bytes, i) => {
    assert.equal(sinks.get(i)!.sha256(), createHash('sha256').update(bytes).digest('hex'));
  });
});
