/** Receive-window credit: unread bytes are held against the SCTP advertised window. */
export interface ReceiveCredit {
  holdReceived(bytes: number): void;
  releaseReceived(bytes: number): void;
}

/** The parts of RTCDataChannel a writable stream drives. */
export interface WritableTarget<T> extends EventTarget {
  readonly readyState: string;
  readonly bufferedAmount: number;
  send(data: T): void;
  close(): void;
  waitForBufferedAmount(below: number): Promise<void>;
}

/** bufferedAmount above which `writable` writes wait (and below which they resume). */
export const WRITABLE_HIGH_WATER_MARK = 1024 * 1024;

export interface ChannelReadable {
  stream: ReadableStream<string | Uint8Array>;
  push(value: string | Uint8Array, size: number): void;
  close(): void;
}

/**
 * A pull-driven ReadableStream: a message goes straight to a waiting reader, otherwise it waits here
 * and its bytes are held against the SCTP receive window until read.
 */
export function createReadable(backend: ReceiveCredit): ChannelReadable {
  const queue: Array<{ value: string | Uint8Array; size: number }> = [];
  let waiting: (() => void) | undefined;
  let controller!: ReadableStreamDefaultController<string | Uint8Array>;
  let closed = false;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    controller.close();
  };
  const stream = new ReadableStream<string | Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull(c) {
        const next = queue.shift();
        if (next) {
          c.enqueue(next.value);
          backend.releaseReceived(next.size);
          if (queue.length === 0 && closed) finish();
          return;
        }
        if (closed) {
          finish();
          return;
        }
        return new Promise<void>((resolve) => {
          waiting = resolve;
        });
      },
      cancel() {
        closed = true;
        ended = true;
        let held = 0;
        for (const item of queue.splice(0)) held += item.size;
        backend.releaseReceived(held);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    push(value, size) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        controller.enqueue(value);
        resolve();
        return;
      }
      queue.push({ value, size });
      backend.holdReceived(size);
    },
    close() {
      if (closed) return;
      closed = true;
      if (queue.length === 0) {
        finish();
        if (waiting) {
          const resolve = waiting;
          waiting = undefined;
          resolve();
        }
      }
    },
  };
}

/** Each write sends one message and resolves once bufferedAmount is back under the high-water mark. */
export function createWritable<T>(channel: WritableTarget<T>): WritableStream<T> {
  return new WritableStream<T>({
    async write(chunk) {
      if (channel.readyState === 'connecting') {
        await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
      }
      channel.send(chunk);
      if (channel.bufferedAmount > WRITABLE_HIGH_WATER_MARK) {
        await channel.waitForBufferedAmount(WRITABLE_HIGH_WATER_MARK / 2);
      }
    },
    async close() {
      await channel.waitForBufferedAmount(0);
      channel.close();
    },
    abort() {
      channel.close();
    },
  });
}
