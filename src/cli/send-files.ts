/**
 * What `dyad send` offers: the files named on the command line, and the files below the folders named
 * there, each with its path relative to the named folder's parent (`photos/2024/a.jpg`), which the
 * terminal receiver recreates (docs/file-transfer.md §3.1). Symbolic links found inside folders are not
 * followed unless asked: a link to `/` would otherwise send the whole disk.
 */
import { createWriteStream } from 'node:fs';
import { type FileHandle, lstat, mkdtemp, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileSource } from '../client/index.ts';
import { UserError } from './errors.ts';

export interface LocalFile {
  path: string;
  /** The offered name: `/`-separated, relative. */
  name: string;
  size: number;
  mtimeMs: number;
}

export interface CollectOptions {
  followSymlinks: boolean;
  /** Tells the person what was left out and why. */
  warn(text: string): void;
}

/** Copies stdin to a private temporary file: the offer must state the size before the first byte moves. */
export async function stdinToFile(): Promise<{ file: LocalFile; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dyad-send-'));
  const path = join(dir, 'stdin');
  await pipeline(process.stdin, createWriteStream(path, { mode: 0o600 }));
  const info = await stat(path);
  return {
    file: { path, name: 'stdin', size: info.size, mtimeMs: Date.now() },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function collectFiles(paths: readonly string[], options: CollectOptions): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const seenFolders = new Set<string>();
  const walk = async (path: string, name: string): Promise<void> => {
    const real = await realpath(path);
    if (seenFolders.has(real)) {
      options.warn(`Skipped ${path}: a link back into a folder already sent.`);
      return;
    }
    seenFolders.add(real);
    const entries = await readdir(path, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childPath = join(path, entry.name);
      const childName = `${name}/${entry.name}`;
      let info = await lstat(childPath);
      if (info.isSymbolicLink()) {
        if (!options.followSymlinks) {
          options.warn(`Skipped ${childPath}: a symbolic link (--follow-symlinks sends what it points to).`);
          continue;
        }
        try {
          info = await stat(childPath);
        } catch {
          options.warn(`Skipped ${childPath}: a symbolic link to nothing.`);
          continue;
        }
      }
      if (info.isDirectory()) await walk(childPath, childName);
      else if (info.isFile())
        files.push({ path: childPath, name: childName, size: info.size, mtimeMs: info.mtimeMs });
      else options.warn(`Skipped ${childPath}: not a regular file.`);
    }
  };
  for (const given of paths) {
    const path = resolve(given);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      // A path the person named is taken as they see it, through a link if it is one.
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'ENOENT' ? `${given} does not exist.` : `${given} cannot be read (${code}).`,
      );
    }
    const name = basename(path) || 'file';
    if (info.isDirectory()) await walk(path, name);
    else if (info.isFile()) files.push({ path, name, size: info.size, mtimeMs: info.mtimeMs });
    else throw new UserError(`${given} is not a file or a folder.`);
  }
  if (files.length === 0) throw new UserError('There is nothing to send: the folders given are empty.');
  return files;
}

/**
 * The sender reads each chunk where it is: nothing is held beyond the chunk being read. Handles are
 * opened on first read and closed with closeAll().
 */
export function diskSources(files: readonly LocalFile[]): {
  sources: FileSource[];
  closeAll(): Promise<void>;
} {
  const handles = new Map<string, Promise<FileHandle>>();
  const sources = files.map((file): FileSource => {
    return {
      name: file.name,
      size: file.size,
      type: '',
      lastModified: file.mtimeMs,
      async read(offset, length) {
        let handle = handles.get(file.path);
        if (!handle) {
          handle = open(file.path, 'r');
          handles.set(file.path, handle);
        }
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await (await handle).read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) break; // shorter than offered: the sender reports it changed
          filled += bytesRead;
        }
        return filled === length ? buffer : buffer.subarray(0, filled);
      },
    };
  });
  return {
    sources,
    async closeAll() {
      await Promise.all([...handles.values()].map(async (handle) => (await handle).close().catch(() => {})));
      handles.clear();
    },
  };
}
