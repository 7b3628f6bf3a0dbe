import WebSocket from 'ws';

/**
 * A bare protocol client for tests: sends JSON frames and waits for the messages it expects, in order
 * of arrival, with a timeout that names what it was waiting for.
 */
export class TestSignalingClient {
  readonly socket: WebSocket;
  readonly received: Record<string, unknown>[] = [];
  /** The protocol is JSON in text frames; binary frames are counted here, not parsed. */
  binaryFrames = 0;
  #waiters: {
    match: (message: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binaryFrames++;
        return;
      }
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      const waiter = this.#waiters.find((candidate) => candidate.match(message));
      if (waiter) {
        this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
        waiter.resolve(message);
      } else {
        this.received.push(message);
      }
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async connect(url: string): Promise<TestSignalingClient> {
    const socket = new WebSocket(url);
    const client = new TestSignalingClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (already received or arriving) whose fields equal `fields`. */
  next(fields: Record<string, unknown>, timeoutMs = 2_000): Promise<Record<string, unknown>> {
    const match = (message: Record<string, unknown>) =>
      Object.entries(fields).every(([key, value]) => JSON.stringify(message[key]) === JSON.stringify(value));
    const index = this.received.findIndex(match);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (message: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        // A waiter that gave up must not swallow a later message.
        this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
        reject(
          new Error(`timed out waiting for ${JSON.stringify(fields)}; got ${JSON.stringify(this.received)}`),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Asserts nothing matching `fields` arrives within `ms`. */
  async nothing(fields: Record<string, unknown>, ms = 150): Promise<void> {
    try {
      const message = await this.next(fields, ms);
      throw new Error(`unexpected message ${JSON.stringify(message)}`);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('timed out')) throw error;
    }
  }

  close(): void {
    this.socket.close();
  }
}
