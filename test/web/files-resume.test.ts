/**
 * File sharing in real Chromium, continued: a transfer cut mid-way (the sender's WebSocket and peer
 * connection killed) resumes from the last verified chunk; with the File System Access API the files land
 * in the chosen folder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Download, WebSocketRoute } from 'playwright-core';
import {
  acceptOffer,
  checkDownloads,
  makeFiles,
  startSend,
  streamingTransferSetup,
} from './files-harness.ts';
import {
  ensureWebBuild,
  launchBrowser,
  newPage,
  screenshots,
  startWebServer,
  waitForStatus,
} from './harness.ts';

const RESUME_TRANSFER_BYTES = 24 * 1024 * 1024;

test('a transfer cut mid-way (sender WebSocket and peer connection killed) resumes from the last verified chunk', async (t) => {
  const setup = await streamingTransferSetup(t, RESUME_TRANSFER_BYTES);
  if (!setup) return;
  const { server, files, sender, receiver } = setup;
  let senderSocket: WebSocketRoute | undefined;
  await sender.routeWebSocket(/\/websocket/, (ws) => {
    ws.connectToServer();
    senderSocket = ws;
  });
  const link = await startSend(sender, server.url, files);
  const downloads: Download[] = [];
  receiver.on('download', (download) => downloads.push(download));
  await receiver.goto(link);
  await acceptOffer(receiver, files);

  // Cut once the first file is partly stored.
  await receiver.waitForFunction(() => {
    const files = (window as unknown as { dyad: { receiver: { files: { storedBytes: number }[] } } }).dyad
      .receiver.files;
    return (files[0]?.storedBytes ?? 0) > 3 * 1024 * 1024;
  });
  await senderSocket!.close({ code: 4000, reason: 'test cut' });
  await sender.evaluate(() => {
    (
      window as unknown as { dyad: { call: { peerConnection?: RTCPeerConnection } } }
    ).dyad.call.peerConnection?.close();
  });
  const storedAtCut = await receiver.evaluate(() =>
    (
      window as unknown as { dyad: { receiver: { files: { storedBytes: number }[] } } }
    ).dyad.receiver.files.map((f) => f.storedBytes),
  );
  assert.ok(storedAtCut[0]! > 0 && storedAtCut[0]! < files[0]!.size, `stored at cut: ${storedAtCut}`);
  await waitForStatus(receiver, /left|lost|Reconnecting/, 15_000);
  await screenshots(receiver, 'receive-interrupted');
  await waitForStatus(receiver, /resuming|Receiving/, 30_000);
  await waitForStatus(receiver, 'All files received and verified', 60_000);
  await waitForStatus(sender, 'All files delivered and verified');
  // One download per file: nothing restarted from zero (a restart would have been refused as out of sequence).
  await checkDownloads(downloads, files);
});

test('with the File System Access API the files are written into the chosen folder and verified', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const files = makeFiles(t, 3 * 1024 * 1024);
  const { page: sender } = await newPage(browser, { media: false });
  const { page: receiver } = await newPage(browser, { media: false });
  // The folder picker needs a person; the origin-private file system gives the same handle type without one.
  // (A string: tsx would wrap a named arrow function in a helper the page does not have.)
  await receiver.addInitScript(
    "Object.defineProperty(window, 'showDirectoryPicker', { value: () => navigator.storage.getDirectory(), configurable: true });",
  );
  const link = await startSend(sender, server.url, files);
  await receiver.goto(link);
  await acceptOffer(receiver, files);
  await waitForStatus(receiver, 'All files received and verified', 30_000);
  const stored = await receiver.evaluate(async () => {
    const dir = await navigator.storage.getDirectory();
    const result: Record<string, string> = {};
    for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemFileHandle]>) {
      const bytes = await (await handle.getFile()).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      result[name] = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    }
    return result;
  });
  assert.deepEqual(stored, Object.fromEntries(files.map((f) => [f.name, f.sha256])));
});

test('the receiver sees names and sizes and may decline; the sender is told', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const files = makeFiles(t, 256 * 1024);
  const { page: sender } = await newPage(browser, { media: false });
  const { page: receiver } = await newPage(browser, { media: false });
  const link = await startSend(sender, server.url, files);
  await receiver.goto(link);
  await waitForStatus(receiver, 'The sender offers these files');
  const sizes = await receiver.locator('.offer .file-detail').allTextContents();
  assert.deepEqual(sizes, ['154 KiB', '101 KiB', '1000 B']);
  await receiver.getByRole('button', { name: 'Decline' }).click();
  await waitForStatus(receiver, 'You declined the files');
  await waitForStatus(sender, 'The receiver declined the files');
  await screenshots(sender, 'send-declined');
});

test('a file that fails its SHA-256 check is a visible error and its download is discarded', async (t) => {
  const setup = await streamingTransferSetup(t, 2 * 1024 * 1024);
  if (!setup) return;
  const { server, files, sender, receiver } = setup;
  const downloads: Download[] = [];
  receiver.on('download', (download) => downloads.push(download));
  const link = await startSend(sender, server.url, files);
  await receiver.goto(link);
  await waitForStatus(receiver, 'The sender offers these files');
  // Corrupt one byte of the first file after it left the sender (what a buggy or hostile path would do).
  await receiver.evaluate(() => {
    type Chunk = { fileIndex: number; chunkIndex: number; data: Uint8Array };
    const receiverEngine = (window as unknown as { dyad: { receiver: { handleChunk(frame: Chunk): void } } })
      .dyad.receiver;
    const original = receiverEngine.handleChunk.bind(receiverEngine);
    receiverEngine.handleChunk = (frame) => {
      if (frame.fileIndex === 0 && frame.chunkIndex === 2) frame.data[100] = (frame.data[100]! + 1) & 0xff;
      original(frame);
    };
  });
  await receiver.getByRole('button', { name: 'Accept' }).click();
  await waitForStatus(receiver, '1 file failed the SHA-256 check', 30_000);
  await waitForStatus(sender, 'did not arrive intact');
  assert.match(
    (await receiver.locator('.file-row[data-state="failed"] .file-detail').textContent()) ?? '',
    /SHA-256 mismatch/,
  );
  await screenshots(receiver, 'receive-hash-mismatch');
  // The corrupt download failed in the browser; the intact ones are complete and correct.
  assert.equal(downloads.length, files.length);
  const [corrupt, ...intact] = files;
  const corruptDownload = downloads.find((download) => download.suggestedFilename() === corrupt!.name);
  assert.notEqual(await corruptDownload!.failure(), null);
  await checkDownloads(
    downloads.filter((download) => download !== corruptDownload),
    intact,
  );
});
