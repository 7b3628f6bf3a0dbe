/**
 * Where received files go, never whole in memory:
 * 1. File System Access API (Chromium): the person picks a folder once; each file is written through a
 *    FileSystemWritableFileStream, which only replaces the real file when closed (so a file that fails its
 *    SHA-256 check never appears).
 * 2. Otherwise a service worker (public/download-sw.js) turns the chunks into a streaming download.
 * 3. Without a secure context neither exists: chunks become Blobs, which the browser may keep on disk.
 */
import {
  type FileDescription,
  type FileSink,
  numberedFileName,
  safeFileName,
} from '../../../src/client/file-transfer/index.ts';

interface DirectoryHandle {
  getFileHandle(
    name: string,
    options?: { create?: boolean },
  ): Promise<{ createWritable(): Promise<WritableFile> }>;
  removeEntry(name: string): Promise<void>;
}
interface WritableFile {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: string): Promise<void>;
}
type PickerWindow = Window & {
  showDirectoryPicker?: (options?: { mode?: 'readwrite'; id?: string }) => Promise<DirectoryHandle>;
};

export type StorageKind = 'folder' | 'download' | 'memory';

export function canPickFolder(): boolean {
  return typeof (window as PickerWindow).showDirectoryPicker === 'function';
}

/** Must be called from the click that accepts (the picker needs a user gesture). */
export async function pickFolder(): Promise<DirectoryHandle> {
  return (window as PickerWindow).showDirectoryPicker!({ mode: 'readwrite', id: 'dyad-receive' });
}

async function exists(dir: DirectoryHandle, name: string): Promise<boolean> {
  try {
    await dir.getFileHandle(name);
    return true;
  } catch {
    return false;
  }
}

/** `name`, or `name (1)`, `name (2)`… before the extension, whichever is free. */
async function freeName(dir: DirectoryHandle, name: string): Promise<string> {
  let candidate = name;
  for (let n = 1; await exists(dir, candidate); n++) candidate = numberedFileName(name, n);
  return candidate;
}

export async function folderSink(dir: DirectoryHandle, file: FileDescription): Promise<FileSink> {
  const name = await freeName(dir, safeFileName(file.name));
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  return {
    write: (data) => writable.write(data),
    close: () => writable.close(),
    async abort(reason) {
      await writable.abort(reason).catch(() => {});
      await dir.removeEntry(name).catch(() => {});
    },
  };
}

export function canStreamDownload(): boolean {
  return window.isSecureContext && 'serviceWorker' in navigator;
}

let workerReady: Promise<ServiceWorker> | undefined;

/** Registers the download worker (once) and waits until it controls downloads. */
export function prepareDownloads(): Promise<ServiceWorker> {
  workerReady ??= (async () => {
    await navigator.serviceWorker.register('/download-sw.js', { scope: '/' });
    const registration = await navigator.serviceWorker.ready;
    return registration.active!;
  })();
  return workerReady;
}

function nextMessage(port: MessagePort, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (event: MessageEvent<{ type: string }>) => {
      if (event.data.type === type) {
        port.removeEventListener('message', listener);
        resolve();
      } else if (event.data.type === 'cancelled') {
        port.removeEventListener('message', listener);
        reject(new Error('the download was cancelled in the browser'));
      }
    };
    port.addEventListener('message', listener);
  });
}

/**
 * Chromium 156 cancels a streaming download that starts while it is still failing the previous one (seen
 * under load: the next file arrives whole, then shows "Canceled"). The page cannot observe that failure
 * settle, so a new download waits this long after an abort; aborts are rare (a failed SHA-256 check, a
 * cancelled transfer), so the pause costs nothing in the common case.
 */
const settleAfterAbortMs = 1500;
let lastAbortAt = Number.NEGATIVE_INFINITY;

export async function downloadSink(file: FileDescription): Promise<FileSink> {
  const worker = await prepareDownloads();
  const settleLeftMs = lastAbortAt + settleAfterAbortMs - performance.now();
  if (settleLeftMs > 0) await new Promise((resolve) => setTimeout(resolve, settleLeftMs));
  const id = [...crypto.getRandomValues(new Uint8Array(12))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  const { port1: port, port2 } = new MessageChannel();
  port.start();
  const ready = nextMessage(port, 'ready');
  const name = safeFileName(file.name);
  worker.postMessage({ type: 'download', id, name, size: file.size, mime: file.type }, [port2]);
  await ready;
  const started = nextMessage(port, 'started');
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = `Download of ${name}`;
  frame.src = `/__dyad_download/${id}/${encodeURIComponent(name)}`;
  document.body.append(frame);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      started,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the browser did not start the download')), 15_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  // Keeps the worker alive through long downloads (browsers stop idle workers after ~30 s).
  const keepAlive = setInterval(() => port.postMessage({ type: 'ping' }), 10_000);
  const finish = () => {
    clearInterval(keepAlive);
    setTimeout(() => frame.remove(), 60_000);
  };
  // Up to this many chunks may be on their way to the worker; each `ack` says the worker's stream took one
  // and has room for more. Together with the stream's 1 MiB queue this bounds what the worker holds.
  const maxInFlight = 16;
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  port.addEventListener('message', (event: MessageEvent<{ type: string }>) => {
    if (event.data.type === 'ack') inFlight--;
    else if (event.data.type === 'cancelled')
      failure = new Error('the download was cancelled in the browser');
    else return;
    wake?.();
  });
  return {
    async write(data) {
      while (inFlight >= maxInFlight && !failure) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure) throw failure;
      const copy = data.slice();
      port.postMessage({ type: 'chunk', data: copy.buffer }, [copy.buffer]);
      inFlight++;
    },
    async close() {
      port.postMessage({ type: 'end' });
      finish();
    },
    async abort(reason) {
      port.postMessage({ type: 'abort', reason });
      lastAbortAt = performance.now();
      finish();
    },
  };
}

/** Last resort (no secure context): Blob parts, saved through a link when the file is verified. */
export async function memorySink(file: FileDescription): Promise<FileSink> {
  let parts: Blob[] = [];
  let pending: Uint8Array[] = [];
  const flush = () => {
    if (pending.length) parts = [new Blob([...parts, ...pending.map((p) => p as Uint8Array<ArrayBuffer>)])];
    pending = [];
  };
  return {
    async write(data) {
      pending.push(data.slice());
      if (pending.length >= 64) flush();
    },
    async close() {
      flush();
      const url = URL.createObjectURL(new Blob(parts, { type: file.type || 'application/octet-stream' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = safeFileName(file.name);
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
    async abort() {
      parts = [];
      pending = [];
    },
  };
}
