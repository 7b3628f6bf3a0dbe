/**
 * The sending side of the file-transfer protocol (docs/file-transfer.md). Transport-agnostic: the host
 * attaches a FileTransport for each data channel it opens (a new one after every reconnect), feeds it the
 * frames that arrive, and the sender offers, pumps chunks under two limits, and resumes where the receiver
 * says it stopped:
 * - bufferedAmount of the channel stays under `maxBufferedBytes` (waits for bufferedamountlow);
 * - bytes sent but not yet acknowledged as stored stay under `maxUnackedBytes`, so a receiver that writes to
 *   disk slower than the network delivers never has to queue more than that in memory.
 */

import { visibleText } from './file-name.ts';
import { StreamingSha256 } from './hashing.ts';
import {
  CHUNK_HEADER_LENGTH,
  type ChunkFrame,
  type ControlMessage,
  checkOfferSize,
  chunkCount,
  chunkLength,
  DEFAULT_CHUNK_SIZE,
  encodeChunkFrame,
  encodeControlMessage,
  FILE_TRANSFER_VERSION,
  type FileDescription,
  FileTransferProtocolError,
  MAX_TYPE_LENGTH,
  MIN_CHUNK_SIZE,
  negotiateVersion,
  type OfferMessage,
} from './protocol.ts';

export interface FileSource {
  name: string;
  size: number;
  type: string;
  lastModified: number;
  /** Reads exactly `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** One open data channel, seen through what the protocol needs. */
export interface FileTransport {
  send(data: string | Uint8Array): void;
  bufferedAmount(): number;
  /** Resolves when bufferedAmount has fallen to the low-water mark (or the channel closed). */
  drained(): Promise<void>;
  /** The largest message the remote peer accepts (RTCSctpTransport.maxMessageSize, RFC 8841 §6), if known. */
  maxMessageSize?: number;
}

export type SenderFileState =
  | 'offered'
  | 'waiting'
  | 'sending'
  | 'verifying'
  | 'verified'
  | 'failed'
  | 'declined';

export interface SenderFileProgress {
  description: FileDescription;
  state: SenderFileState;
  /** Bytes the receiver confirmed as stored. */
  ackedBytes: number;
  sentBytes: number;
  sha256?: string;
}

export type SenderEvent =
  | { type: 'accepted'; resumed: boolean }
  | { type: 'declined' }
  | { type: 'file-state'; index: number; state: SenderFileState }
  | { type: 'complete' }
  | { type: 'error'; error: FileTransferProtocolError };

export interface FileSenderOptions {
  transferId: string;
  chunkSize?: number;
  maxBufferedBytes?: number;
  maxUnackedBytes?: number;
  onEvent?: (event: SenderEvent) => void;
}

interface SendingFile extends SenderFileProgress {
  source: FileSource;
  chunks: number;
  nextChunk: number;
  ackedChunks: number;
  /** Hash state after chunk k was hashed, for every k the receiver may still ask to resume from. */
  snapshots: Map<number, StreamingSha256>;
  hasher: StreamingSha256;
}

export class FileSender {
  readonly transferId: string;
  /** Fixed by the first offer (chunk indices must mean the same bytes in every resume). */
  chunkSize: number;
  readonly #maxBuffered: number;
  readonly #maxUnacked: number;
  readonly #files: SendingFile[];
  readonly #onEvent: (event: SenderEvent) => void;
  #transport: FileTransport | undefined;
  #generation = 0;
  #accepted = false;
  #offered = false;
  readonly #ackWaiters = new Set<() => void>();

  /**
   * @throws OfferTooLargeError when the offer for `sources` is one a receiver would reject (over 1,000
   * files, a name over 1,020 characters, over 256 KiB of JSON): nothing can be sent, the person must choose
   * fewer files.
   */
  constructor(sources: FileSource[], options: FileSenderOptions) {
    this.transferId = options.transferId;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#maxUnacked = options.maxUnackedBytes ?? 8 * 1024 * 1024;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#files = sources.map((source, index) => ({
      source,
      description: {
        index,
        name: source.name,
        size: source.size,
        // Both are hints the receiver may not need, but it rejects the whole offer when either is out of
        // range: a MIME type over MAX_TYPE_LENGTH characters is dropped, and a time before 1970 or with a
        // fraction (Node's stat().mtimeMs) is made a whole non-negative number.
        type: source.type.length <= MAX_TYPE_LENGTH ? source.type : '',
        lastModified: Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(source.lastModified) || 0)),
      },
      state: 'offered',
      ackedBytes: 0,
      sentBytes: 0,
      chunks: chunkCount(source.size, this.chunkSize),
      nextChunk: 0,
      ackedChunks: 0,
      snapshots: new Map([[0, new StreamingSha256()]]),
      hasher: new StreamingSha256(),
    }));
    checkOfferSize(this.#offer());
  }

  get files(): readonly SenderFileProgress[] {
    return this.#files;
  }

  get totalBytes(): number {
    return this.#files.reduce((sum, f) => sum + f.description.size, 0);
  }

  /** Starts (or restarts, after a reconnect) the exchange on a freshly opened channel. */
  attach(transport: FileTransport): void {
    this.#generation++;
    this.#transport = transport;
    // A pump of the previous channel may wait for acknowledgements that will never come: let it see it is stale.
    this.#wakeAckWaiters();
    transport.send(
      encodeControlMessage({ type: 'hello', versions: [FILE_TRANSFER_VERSION], role: 'sender' }),
    );
  }

  /** The channel closed: stop pumping until the next attach(). */
  detach(): void {
    this.#generation++;
    this.#transport = undefined;
    this.#wakeAckWaiters();
  }

  handleMessage(message: ControlMessage): void {
    switch (message.type) {
      case 'hello':
        if (negotiateVersion([FILE_TRANSFER_VERSION], message.versions) === undefined) {
          this.#fail(
            new FileTransferProtocolError('unsupported_version', 'the receiver speaks no common version'),
          );
          return;
        }
        if (!this.#offered) this.#fitChunkSize(this.#transport?.maxMessageSize);
        this.#offered = true;
        this.#sendOffer();
        return;
      case 'accept':
        if (message.transferId !== this.transferId) return;
        this.#onAccept(message.files);
        return;
      case 'decline':
        if (message.transferId !== this.transferId) return;
        for (const file of this.#files) this.#setState(file, 'declined');
        this.#onEvent({ type: 'declined' });
        return;
      case 'ack':
        this.#onAck(message.index, message.chunks);
        return;
      case 'file-result': {
        const file = this.#files[message.index];
        if (message.transferId !== this.transferId || !file) return;
        file.sha256 = message.sha256;
        if (message.ok) file.ackedBytes = file.description.size;
        // Only the empty state stays, for a receiver that lost everything and asks again from zero.
        file.snapshots = new Map([[0, new StreamingSha256()]]);
        this.#setState(file, message.ok ? 'verified' : 'failed');
        this.#checkComplete();
        return;
      }
      case 'cancel':
        if (message.transferId !== this.transferId) return;
        this.#fail(
          new FileTransferProtocolError('cancelled', `receiver cancelled: ${visibleText(message.reason)}`),
        );
        return;
      case 'error':
        this.#fail(
          new FileTransferProtocolError(
            'malformed',
            `receiver reported ${visibleText(message.code)}: ${visibleText(message.message)}`,
          ),
        );
        return;
      default:
        return;
    }
  }

  #offer(): OfferMessage {
    return {
      type: 'offer',
      version: FILE_TRANSFER_VERSION,
      transferId: this.transferId,
      chunkSize: this.chunkSize,
      files: this.#files.map((f) => f.description),
    };
  }

  /**
   * The constructor checked the offer against the protocol's limit; this peer's channel may take less in one
   * message (RFC 8841 §6), and a message over it would fail in send() unseen by the receiver.
   */
  #sendOffer(): void {
    const offer = this.#offer();
    const maxMessageSize = this.#transport?.maxMessageSize;
    try {
      checkOfferSize(offer, maxMessageSize && maxMessageSize > 0 ? maxMessageSize : Number.POSITIVE_INFINITY);
    } catch (error) {
      if (!(error instanceof FileTransferProtocolError)) throw error;
      this.#fail(error);
      return;
    }
    this.#send(offer);
  }

  /** Shrinks the chunks so that a chunk frame fits in one message the remote peer accepts. */
  #fitChunkSize(maxMessageSize: number | undefined): void {
    if (!maxMessageSize || maxMessageSize <= 0) return;
    const fitting = Math.max(MIN_CHUNK_SIZE, Math.min(this.chunkSize, maxMessageSize - CHUNK_HEADER_LENGTH));
    if (fitting === this.chunkSize) return;
    this.chunkSize = fitting;
    for (const file of this.#files) file.chunks = chunkCount(file.description.size, fitting);
  }

  /** Stops for good and tells the receiver why. */
  cancel(reason: string): void {
    this.#send({ type: 'cancel', transferId: this.transferId, reason });
    this.detach();
  }

  #onAccept(wanted: { index: number; fromChunk: number }[]): void {
    const resumed = this.#accepted;
    this.#accepted = true;
    const wantedIndexes = new Set<number>();
    for (const { index, fromChunk } of wanted) {
      const file = this.#files[index];
      const snapshot = file?.snapshots.get(fromChunk);
      if (!file || !snapshot || fromChunk > file.chunks) {
        // The receiver may only resume from a chunk we sent and still hold the hash state for: any chunk from
        // its last acknowledgement up to the last one sent.
        this.#fail(
          new FileTransferProtocolError('bad_resume', `cannot resume file ${index} at ${fromChunk}`),
        );
        return;
      }
      wantedIndexes.add(index);
      file.hasher = snapshot.clone();
      file.nextChunk = fromChunk;
      file.sentBytes = Math.min(file.description.size, fromChunk * this.chunkSize);
      this.#markAcked(file, fromChunk);
      this.#setState(file, 'waiting');
    }
    for (const file of this.#files) {
      if (!wantedIndexes.has(file.description.index) && (file.state === 'offered' || !resumed)) {
        this.#setState(file, 'declined');
      }
    }
    this.#onEvent({ type: 'accepted', resumed });
    void this.#pump(this.#generation).catch((error: unknown) => {
      this.#fail(
        error instanceof FileTransferProtocolError
          ? error
          : new FileTransferProtocolError('malformed', `reading a file failed: ${String(error)}`),
      );
    });
    this.#checkComplete();
  }

  #onAck(index: number, chunks: number): void {
    const file = this.#files[index];
    if (!file || chunks > file.nextChunk) return;
    this.#markAcked(file, chunks);
    this.#wakeAckWaiters();
  }

  #wakeAckWaiters(): void {
    for (const wake of this.#ackWaiters) wake();
    this.#ackWaiters.clear();
  }

  #markAcked(file: SendingFile, chunks: number): void {
    if (chunks < file.ackedChunks) return;
    file.ackedChunks = chunks;
    file.ackedBytes = Math.min(file.description.size, chunks * this.chunkSize);
    // Chunk 0's state (empty) stays: a receiver that lost everything (a reloaded page) may start over.
    for (const k of file.snapshots.keys()) if (k > 0 && k < chunks) file.snapshots.delete(k);
  }

  #unackedBytes(): number {
    return this.#files.reduce(
      (sum, f) => (f.state === 'sending' || f.state === 'verifying' ? sum + f.sentBytes - f.ackedBytes : sum),
      0,
    );
  }

  async #pump(generation: number): Promise<void> {
    for (const file of this.#files) {
      if (file.state !== 'waiting') continue;
      this.#setState(file, 'sending');
      while (file.nextChunk < file.chunks) {
        if (!(await this.#waitForRoom(generation))) return;
        const chunkIndex = file.nextChunk;
        const length = chunkLength(file.description.size, this.chunkSize, chunkIndex);
        const data = await file.source.read(chunkIndex * this.chunkSize, length);
        if (generation !== this.#generation) return;
        if (data.length !== length) {
          throw new FileTransferProtocolError('malformed', `${file.description.name} changed while sending`);
        }
        file.hasher.update(data);
        file.snapshots.set(chunkIndex + 1, file.hasher.clone());
        this.#sendChunk({ fileIndex: file.description.index, chunkIndex, data });
        file.nextChunk = chunkIndex + 1;
        file.sentBytes += length;
      }
      file.sha256 = file.hasher.hex();
      this.#send({
        type: 'file-end',
        transferId: this.transferId,
        index: file.description.index,
        sha256: file.sha256,
      });
      this.#setState(file, 'verifying');
    }
  }

  /** Waits until both the channel buffer and the unacknowledged window have room; false when detached. */
  async #waitForRoom(generation: number): Promise<boolean> {
    for (;;) {
      const transport = this.#transport;
      if (generation !== this.#generation || !transport) return false;
      if (transport.bufferedAmount() > this.#maxBuffered) {
        await transport.drained();
        continue;
      }
      if (this.#unackedBytes() >= this.#maxUnacked) {
        await new Promise<void>((resolve) => this.#ackWaiters.add(resolve));
        continue;
      }
      return true;
    }
  }

  #sendChunk(frame: ChunkFrame): void {
    this.#transport?.send(encodeChunkFrame(frame));
  }

  #send(message: ControlMessage): void {
    this.#transport?.send(encodeControlMessage(message));
  }

  #setState(file: SendingFile, state: SenderFileState): void {
    if (file.state === state) return;
    file.state = state;
    this.#onEvent({ type: 'file-state', index: file.description.index, state });
  }

  #checkComplete(): void {
    const settled = this.#files.every(
      (f) => f.state === 'verified' || f.state === 'failed' || f.state === 'declined',
    );
    if (settled && this.#files.some((f) => f.state !== 'declined')) this.#onEvent({ type: 'complete' });
  }

  #fail(error: FileTransferProtocolError): void {
    this.#send({ type: 'error', code: error.code, message: error.message });
    this.detach();
    this.#onEvent({ type: 'error', error });
  }
}
