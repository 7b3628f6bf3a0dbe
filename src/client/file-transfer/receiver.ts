/**
 * The receiving side of the file-transfer protocol (docs/file-transfer.md). It checks every chunk's place
 * and length, hashes it incrementally, hands it to a FileSink in order (one write at a time), acknowledges
 * what storage took, and compares the SHA-256 the sender announces at the end of each file: a mismatch
 * aborts that file's sink and is reported, never stored as if it were good. After a reconnect the same
 * offer comes again; the receiver answers it by itself with the chunk each file should resume from.
 * Offered file names are the sender's words: the receiver replaces each with safeFileName's before anyone
 * sees it, so its events, its `files` and its sinks only ever get the safe name.
 */

import { safeFileName, safeRelativePath, visibleText } from './file-name.ts';
import { StreamingSha256 } from './hashing.ts';
import {
  type ChunkFrame,
  type ControlMessage,
  chunkCount,
  chunkLength,
  encodeControlMessage,
  FILE_TRANSFER_VERSION,
  type FileDescription,
  FileTransferProtocolError,
  negotiateVersion,
  type OfferMessage,
} from './protocol.ts';
import type { FileTransport } from './sender.ts';

/** Where a received file goes: a file on disk, a streaming download, memory in tests. */
export interface FileSink {
  write(data: Uint8Array): Promise<void>;
  /** The file is complete and verified. */
  close(): Promise<void>;
  /** The file is not good (hash mismatch, cancel): discard what was written where possible. */
  abort(reason: string): Promise<void>;
}

export type ReceiverFileState = 'offered' | 'receiving' | 'verified' | 'failed' | 'declined';

export interface ReceiverFileProgress {
  description: FileDescription;
  state: ReceiverFileState;
  /** Bytes written to storage. */
  storedBytes: number;
  sha256?: string;
  error?: string;
}

export type ReceiverEvent =
  | { type: 'offer'; files: readonly FileDescription[] }
  | { type: 'resumed' }
  | { type: 'file-state'; index: number; state: ReceiverFileState }
  | { type: 'complete' }
  | { type: 'error'; error: FileTransferProtocolError };

export interface FileReceiverOptions {
  /** Opens storage for one accepted file; called once per file, before its first chunk. */
  openSink(file: FileDescription): Promise<FileSink>;
  /** Acknowledge after this many stored chunks (and always at a file's end). */
  ackEveryChunks?: number;
  /**
   * Keep the folders of relative paths (`/`-separated, §3.1): each segment is cleaned by safeFileName and
   * empty ones dropped. Off (browsers): the whole name is one safeFileName, so `/` becomes `_`.
   */
  keepFolders?: boolean;
  onEvent?: (event: ReceiverEvent) => void;
}

interface ReceivingFile extends ReceiverFileProgress {
  chunks: number;
  /** Chunks received in sequence and checked: the point a resume continues from. */
  receivedChunks: number;
  storedChunks: number;
  hasher: StreamingSha256;
  sink?: Promise<FileSink>;
}

export class FileReceiver {
  readonly #openSink: (file: FileDescription) => Promise<FileSink>;
  readonly #ackEvery: number;
  readonly #onEvent: (event: ReceiverEvent) => void;
  readonly #keepFolders: boolean;
  #transport: FileTransport | undefined;
  #offer: OfferMessage | undefined;
  #files: ReceivingFile[] = [];
  #decided = false;
  /** Storage work runs strictly in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(options: FileReceiverOptions) {
    this.#openSink = options.openSink;
    this.#ackEvery = options.ackEveryChunks ?? 8;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#keepFolders = options.keepFolders ?? false;
  }

  get files(): readonly ReceiverFileProgress[] {
    return this.#files;
  }

  get transferId(): string | undefined {
    return this.#offer?.transferId;
  }

  get chunkSize(): number {
    return this.#offer?.chunkSize ?? 0;
  }

  attach(transport: FileTransport): void {
    this.#transport = transport;
    this.#send({ type: 'hello', versions: [FILE_TRANSFER_VERSION], role: 'receiver' });
  }

  detach(): void {
    this.#transport = undefined;
  }

  handleMessage(message: ControlMessage): void {
    if (this.#failed) return;
    switch (message.type) {
      case 'hello':
        if (negotiateVersion([FILE_TRANSFER_VERSION], message.versions) === undefined) {
          this.#fail(
            new FileTransferProtocolError('unsupported_version', 'the sender speaks no common version'),
          );
        }
        return;
      case 'offer':
        this.#onOffer(message);
        return;
      case 'file-end':
        this.#onFileEnd(message.transferId, message.index, message.sha256);
        return;
      case 'cancel':
        if (message.transferId !== this.transferId) return;
        this.#abortAll(`sender cancelled: ${visibleText(message.reason)}`);
        this.#fail(
          new FileTransferProtocolError('cancelled', `sender cancelled: ${visibleText(message.reason)}`),
        );
        return;
      case 'error':
        this.#fail(
          new FileTransferProtocolError(
            'malformed',
            `sender reported ${visibleText(message.code)}: ${visibleText(message.message)}`,
          ),
        );
        return;
      default:
        return;
    }
  }

  /** The person chose which files to take (by index); the rest are declined. */
  accept(indexes: readonly number[]): void {
    const offer = this.#offer;
    if (!offer || this.#decided) return;
    this.#decided = true;
    const wanted = new Set(indexes);
    for (const file of this.#files) {
      if (file.state === 'verified') continue; // restored: finished by an earlier run
      this.#setState(file, wanted.has(file.description.index) ? 'receiving' : 'declined');
    }
    if (wanted.size === 0) {
      this.decline();
      return;
    }
    this.#sendAccept();
    // Files an earlier run finished: the sender may not have heard their verdict before that run ended.
    const restored = this.#files.filter((f) => f.state === 'verified');
    for (const file of restored) this.#sendResult(file);
    if (restored.length && this.#files.every((f) => f.state === 'verified' || f.state === 'declined'))
      this.#onEvent({ type: 'complete' });
  }

  /**
   * Before accept(): an earlier run of this receiver (a process that was stopped) already stored the
   * first `chunks` chunks of file `index` of this same transfer, and `hasher` has hashed them. The accept
   * then asks the sender to continue from there (§6), which it can as long as `chunks` is at least what
   * was acknowledged, and storage acknowledges only what it wrote.
   */
  restore(index: number, chunks: number, hasher: StreamingSha256): void {
    const file = this.#files[index];
    if (
      !file ||
      this.#decided ||
      chunks > file.chunks ||
      hasher.length !== Math.min(file.description.size, chunks * this.chunkSize)
    )
      throw new RangeError(`cannot restore file ${index} at chunk ${chunks}`);
    file.receivedChunks = chunks;
    file.storedChunks = chunks;
    file.storedBytes = hasher.length;
    file.hasher = hasher;
  }

  /** Before accept(): an earlier run stored and verified file `index` whole. */
  restoreVerified(index: number, sha256: string): void {
    const file = this.#files[index];
    if (!file || this.#decided) throw new RangeError(`cannot restore file ${index}`);
    file.receivedChunks = file.chunks;
    file.storedChunks = file.chunks;
    file.storedBytes = file.description.size;
    file.sha256 = sha256;
    file.state = 'verified';
  }

  decline(): void {
    const offer = this.#offer;
    if (!offer) return;
    this.#decided = true;
    for (const file of this.#files) this.#setState(file, 'declined');
    this.#send({ type: 'decline', transferId: offer.transferId });
  }

  handleChunk(frame: ChunkFrame): void {
    if (this.#failed) return;
    const file = this.#files[frame.fileIndex];
    const expected = file && chunkLength(file.description.size, this.chunkSize, frame.chunkIndex);
    if (file?.state !== 'receiving' || frame.chunkIndex !== file.receivedChunks) {
      this.#fail(
        new FileTransferProtocolError(
          'unexpected_chunk',
          `chunk ${frame.chunkIndex} of file ${frame.fileIndex} was not expected now`,
        ),
      );
      return;
    }
    if (frame.data.length !== expected) {
      this.#fail(
        new FileTransferProtocolError(
          'unexpected_chunk',
          `chunk ${frame.chunkIndex} of file ${frame.fileIndex} has ${frame.data.length} bytes, not ${expected}`,
        ),
      );
      return;
    }
    file.receivedChunks++;
    file.hasher.update(frame.data);
    const { data } = frame;
    this.#enqueue(async () => {
      const sink = await this.#sinkFor(file);
      await sink.write(data);
      file.storedChunks++;
      file.storedBytes += data.length;
      if (file.storedChunks % this.#ackEvery === 0 || file.storedChunks === file.chunks) {
        this.#send({
          type: 'ack',
          transferId: this.transferId!,
          index: file.description.index,
          chunks: file.storedChunks,
        });
      }
    });
  }

  /** Stops for good and tells the sender why; partial files are discarded. */
  cancel(reason: string): void {
    const transferId = this.transferId;
    if (transferId) this.#send({ type: 'cancel', transferId, reason });
    this.#abortAll(reason);
    this.#failed = true;
  }

  #onOffer(offer: OfferMessage): void {
    if (offer.version !== FILE_TRANSFER_VERSION) {
      this.#fail(new FileTransferProtocolError('unsupported_version', `offer of version ${offer.version}`));
      return;
    }
    if (this.#offer && this.#offer.transferId === offer.transferId) {
      // A reconnect: same transfer, so no new question to the person. Resume where we stopped.
      if (this.#decided) {
        this.#sendAccept();
        for (const file of this.#files) {
          if (file.state === 'verified' || file.state === 'failed') this.#sendResult(file);
        }
        this.#onEvent({ type: 'resumed' });
      }
      return;
    }
    if (this.#offer) return; // one transfer per session
    // The names are the sender's, shown and stored as safeFileName makes them; nothing past this point sees
    // the raw ones (docs/file-transfer.md §3.1).
    const files = offer.files.map((file) => ({
      ...file,
      name: this.#keepFolders ? safeRelativePath(file.name) : safeFileName(file.name),
    }));
    this.#offer = { ...offer, files };
    this.#files = files.map((description) => ({
      description,
      state: 'offered',
      storedBytes: 0,
      chunks: chunkCount(description.size, offer.chunkSize),
      receivedChunks: 0,
      storedChunks: 0,
      hasher: new StreamingSha256(),
    }));
    this.#onEvent({ type: 'offer', files });
  }

  #sendAccept(): void {
    const transferId = this.transferId;
    if (!transferId) return;
    const files = this.#files
      .filter((f) => f.state === 'receiving')
      .map((f) => ({ index: f.description.index, fromChunk: f.receivedChunks }));
    this.#send({ type: 'accept', transferId, files });
  }

  #onFileEnd(transferId: string, index: number, sha256: string): void {
    const file = this.#files[index];
    if (
      transferId !== this.transferId ||
      !file ||
      file.state !== 'receiving' ||
      file.receivedChunks !== file.chunks
    ) {
      this.#fail(
        new FileTransferProtocolError('unexpected_chunk', `file-end for file ${index} came too early`),
      );
      return;
    }
    const actual = file.hasher.hex();
    this.#enqueue(async () => {
      const sink = await this.#sinkFor(file);
      file.sha256 = actual;
      if (actual === sha256) {
        await sink.close();
        this.#setState(file, 'verified');
      } else {
        file.error = `SHA-256 mismatch: expected ${sha256}, got ${actual}`;
        await sink.abort(file.error);
        this.#setState(file, 'failed');
      }
      this.#sendResult(file);
      if (
        this.#files.every((f) => f.state === 'verified' || f.state === 'failed' || f.state === 'declined')
      ) {
        this.#onEvent({ type: 'complete' });
      }
    });
  }

  #sendResult(file: ReceivingFile): void {
    this.#send({
      type: 'file-result',
      transferId: this.transferId!,
      index: file.description.index,
      ok: file.state === 'verified',
      sha256: file.sha256 ?? '0'.repeat(64),
    });
  }

  #sinkFor(file: ReceivingFile): Promise<FileSink> {
    file.sink ??= this.#openSink(file.description);
    return file.sink;
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((error: unknown) => {
      this.#fail(new FileTransferProtocolError('write_failed', `storing the file failed: ${String(error)}`));
    });
  }

  #abortAll(reason: string): void {
    for (const file of this.#files) {
      if (file.state !== 'receiving') continue;
      file.error = reason;
      const sink = file.sink;
      this.#enqueue(async () => {
        await (await sink)?.abort(reason);
      });
      this.#setState(file, 'failed');
    }
  }

  #setState(file: ReceivingFile, state: ReceiverFileState): void {
    if (file.state === state) return;
    file.state = state;
    this.#onEvent({ type: 'file-state', index: file.description.index, state });
  }

  #send(message: ControlMessage): void {
    this.#transport?.send(encodeControlMessage(message));
  }

  #fail(error: FileTransferProtocolError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#send({ type: 'error', code: error.code, message: error.message });
    this.#abortAll(error.message);
    this.#onEvent({ type: 'error', error });
  }
}
