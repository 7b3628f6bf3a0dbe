/**
 * Where `dyad receive` puts files: each one is written to a hidden part file beside its final place
 * (`.dyad-<transferId>-<index>.part`: a name of its own, since the final name may already use all of the
 * 255 bytes a file system allows), and renamed when its SHA-256 matched (docs/file-transfer.md §5), so a half-received file never looks whole.
 * A small state file, `.dyad-<transferId>.json` in the output folder, remembers which part file belongs to
 * which offered file: run again into the same folder while the sender still runs, the receiver reads the
 * parts back, hashes what they hold and asks the sender to continue from there (§6), however the first run
 * ended (Ctrl-C, a dropped network, kill -9). Storage acknowledges only what it has written, so a part file
 * is never behind what the sender was told.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import {
  chunkCount,
  type FileDescription,
  type FileReceiver,
  type FileSink,
  numberedFileName,
  StreamingSha256,
} from '../client/index.ts';

const STATE_VERSION = 1;
const READ_BLOCK = 1024 * 1024;

interface StoredFile {
  index: number;
  /** The offered name, as the receiver made it safe. */
  name: string;
  size: number;
  /** Where the file goes, relative to the output folder (`/`-separated). */
  target: string;
  done: boolean;
  sha256?: string;
}

interface TransferState {
  version: number;
  transferId: string;
  chunkSize: number;
  files: StoredFile[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface ResumeSummary {
  /** Files an earlier run finished. */
  finished: number;
  /** Bytes already here (finished files and parts). */
  bytes: number;
}

export class ReceiveStore {
  readonly #dir: string;
  readonly #overwrite: boolean;
  readonly #notice: (text: string) => void;
  readonly #digestOf: (index: number) => string | undefined;
  #state: TransferState | undefined;
  #resumed: TransferState | undefined;
  /** Bytes already in each part file, where the sink continues writing. */
  readonly #restoredBytes = new Map<number, number>();

  /** `digestOf` gives the SHA-256 the receiver verified a file with (kept for a later run). */
  constructor(
    dir: string,
    overwrite: boolean,
    notice: (text: string) => void,
    digestOf: (index: number) => string | undefined,
  ) {
    this.#dir = dir;
    this.#overwrite = overwrite;
    this.#notice = notice;
    this.#digestOf = digestOf;
  }

  #statePath(transferId: string): string {
    return join(this.#dir, `.dyad-${transferId}.json`);
  }

  #abs(relative: string): string {
    return join(this.#dir, ...relative.split('/'));
  }

  /** The part file of `file`, in the folder of its target. */
  #partPath(transferId: string, file: StoredFile): string {
    return join(dirname(this.#abs(file.target)), `.dyad-${transferId}-${file.index}.part`);
  }

  /**
   * Plans where the offered files go. An earlier run's state for the same transfer (same id, chunk size,
   * names and sizes) is taken up again; otherwise every file gets a name that is free in the folder.
   */
  async plan(transferId: string, chunkSize: number, files: readonly FileDescription[]): Promise<void> {
    const previous = await readFile(this.#statePath(transferId), 'utf8').then(
      (text) => JSON.parse(text) as TransferState,
      () => undefined,
    );
    const matches =
      previous?.version === STATE_VERSION &&
      previous.transferId === transferId &&
      previous.chunkSize === chunkSize &&
      previous.files.length === files.length &&
      previous.files.every((f, i) => f.index === i && f.name === files[i]!.name && f.size === files[i]!.size);
    if (matches) {
      this.#resumed = previous;
      this.#state = previous;
      return;
    }
    const taken = new Set<string>();
    const planned: StoredFile[] = [];
    for (const file of files) {
      const target = await this.#freeTarget(file.name, taken);
      taken.add(target);
      planned.push({ index: file.index, name: file.name, size: file.size, target, done: false });
    }
    this.#state = { version: STATE_VERSION, transferId, chunkSize, files: planned };
  }

  /** The planned target of each file, relative to the folder. */
  targets(): string[] {
    return this.#state?.files.map((f) => f.target) ?? [];
  }

  async #freeTarget(name: string, taken: Set<string>): Promise<string> {
    const slash = name.lastIndexOf('/');
    const folder = slash >= 0 ? name.slice(0, slash + 1) : '';
    const base = slash >= 0 ? name.slice(slash + 1) : name;
    for (let n = 0; ; n++) {
      const candidate = folder + (n === 0 ? base : numberedFileName(base, n));
      if (taken.has(candidate)) continue;
      if (this.#overwrite || !(await exists(this.#abs(candidate)))) {
        if (n > 0) this.#notice(`${name} exists already: saving it as ${candidate}.`);
        return candidate;
      }
    }
  }

  /**
   * Hands the receiver what an earlier run stored (before it accepts): finished files as verified, part
   * files up to their last whole chunk, hashed again from disk.
   */
  async restore(receiver: FileReceiver, accepted: readonly number[]): Promise<ResumeSummary> {
    const state = this.#resumed;
    const summary: ResumeSummary = { finished: 0, bytes: 0 };
    if (!state) return summary;
    for (const file of state.files) {
      if (!accepted.includes(file.index)) continue;
      const target = this.#abs(file.target);
      if (file.done && file.sha256) {
        const info = await stat(target).catch(() => undefined);
        if (info?.size === file.size) {
          receiver.restoreVerified(file.index, file.sha256);
          summary.finished++;
          summary.bytes += file.size;
          continue;
        }
        file.done = false; // moved or deleted since: receive it again
      }
      const part = this.#partPath(state.transferId, file);
      const partSize = (await stat(part).catch(() => undefined))?.size ?? 0;
      const chunks =
        partSize >= file.size
          ? chunkCount(file.size, state.chunkSize)
          : Math.floor(partSize / state.chunkSize);
      if (chunks === 0) continue;
      const keep = Math.min(file.size, chunks * state.chunkSize);
      const hasher = await hashPrefix(part, keep);
      receiver.restore(file.index, chunks, hasher);
      this.#restoredBytes.set(file.index, keep);
      summary.bytes += keep;
    }
    return summary;
  }

  /** Records the plan, so that a later run into this folder can resume. */
  async save(): Promise<void> {
    if (!this.#state) return;
    await mkdir(this.#dir, { recursive: true });
    const path = this.#statePath(this.#state.transferId);
    await writeFile(`${path}.tmp`, JSON.stringify(this.#state));
    await rename(`${path}.tmp`, path);
  }

  /** Every accepted file is settled: the state is no longer needed. */
  async finish(): Promise<void> {
    if (this.#state) await rm(this.#statePath(this.#state.transferId), { force: true });
  }

  /** Opens the part file of `description`, continuing after what restore() found in it. */
  async openSink(description: FileDescription): Promise<FileSink> {
    const file = this.#state?.files[description.index];
    if (!file) throw new Error(`file ${description.index} was not planned`);
    const target = this.#abs(file.target);
    const part = this.#partPath(this.#state!.transferId, file);
    await mkdir(dirname(target), { recursive: true });
    let position = this.#restoredBytes.get(description.index) ?? 0;
    const handle = await open(part, position > 0 ? 'r+' : 'w');
    // Whatever lies past the resume point was never acknowledged; the sender sends it again.
    await handle.truncate(position);
    return {
      write: async (data) => {
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await handle.write(data, written, data.length - written, position);
          written += bytesWritten;
          position += bytesWritten;
        }
      },
      close: async () => {
        await handle.close();
        let finalPath = target;
        if (!this.#overwrite && (await exists(target))) {
          // Someone created the name while the file arrived: keep both.
          finalPath = this.#abs(await this.#freeTarget(file.target, new Set()));
        }
        await rename(part, finalPath);
        file.target = finalPath
          .slice(this.#dir.length + 1)
          .split(sep)
          .join('/');
        file.done = true;
        file.sha256 = this.#digestOf(description.index);
        await this.save();
      },
      abort: async () => {
        await handle.close().catch(() => {});
        await rm(part, { force: true });
      },
    };
  }
}

async function hashPrefix(path: string, length: number): Promise<StreamingSha256> {
  const hasher = new StreamingSha256();
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(READ_BLOCK);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BLOCK, length - offset), offset);
      if (bytesRead === 0) throw new Error(`${path} is shorter than it was`);
      hasher.update(buffer.subarray(0, bytesRead));
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hasher;
}
