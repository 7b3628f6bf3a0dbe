/**
 * File sharing in real Chromium: /send → /receive/<room> through `dyad serve`, several files in one
 * transfer (200 MiB by default), stored by a streaming service-worker download while the receiving page's
 * JS heap stays far below the size, and verified by SHA-256 here in Node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Download } from 'playwright-core';
import {
  acceptOffer,
  checkDownloads,
  startSend,
  streamingTransferSetup,
  TRANSFER_BYTES,
} from './files-harness.ts';
import { screenshots, waitForStatus } from './harness.ts';

test('several files (one transfer) arrive through a streaming download with matching SHA-256 and a small heap', async (t) => {
  const setup = await streamingTransferSetup(t, TRANSFER_BYTES);
  if (!setup) return;
  const { server, files, sender, receiver } = setup;
  const link = await startSend(sender, server.url, files);
  await screenshots(sender, 'send-waiting');
  const downloads: Download[] = [];
  receiver.on('download', (download) => downloads.push(download));
  await receiver.goto(link);
  await acceptOffer(receiver, files);

  const cdp = await receiver.context().newCDPSession(receiver);
  let maxHeap = 0;
  const started = Date.now();
  const sampler = setInterval(() => {
    cdp
      .send('Runtime.getHeapUsage')
      .then(({ usedSize }) => {
        maxHeap = Math.max(maxHeap, usedSize);
      })
      .catch(() => {});
  }, 200);
  await receiver.waitForFunction(
    () => (document.querySelector<HTMLProgressElement>('.overall-bar')?.value ?? 0) > 0.1,
    undefined,
    { timeout: 60_000 },
  );
  await screenshots(receiver, 'receive-progress');
  await screenshots(sender, 'send-progress');
  await waitForStatus(receiver, 'All files received and verified', 150_000);
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  await waitForStatus(sender, 'All files delivered and verified');
  await screenshots(receiver, 'receive-done');
  await screenshots(sender, 'send-done');
  await checkDownloads(downloads, files);
  console.log(
    `transfer: ${(TRANSFER_BYTES / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s ` +
      `(${(TRANSFER_BYTES / 2 ** 20 / seconds).toFixed(1)} MiB/s), receiver heap peak ${(maxHeap / 2 ** 20).toFixed(1)} MiB`,
  );
  assert.ok(
    maxHeap > 0 && maxHeap < Math.min(64 * 2 ** 20, TRANSFER_BYTES / 3),
    `heap peaked at ${maxHeap} bytes`,
  );
});
