/** Helpers of the file-sharing browser tests: test files with known SHA-256, and the send/accept steps. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Download, Page } from 'playwright-core';
import type { RunningServer } from '../../src/server/index.ts';
import {
  ensureWebBuild,
  launchBrowser,
  newPage,
  screenshots,
  seriousA11yViolations,
  startWebServer,
  waitForStatus,
} from './harness.ts';

/** The issue asks for 200 MiB in one transfer; lower it (DYAD_WEB_TRANSFER_MIB) on a slow machine. */
export const TRANSFER_BYTES = Number(process.env['DYAD_WEB_TRANSFER_MIB'] ?? 200) * 1024 * 1024;

export type TestFile = { name: string; path: string; size: number; sha256: string };

export function makeFiles(t: { after(fn: () => void): void }, total: number): TestFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'dyad-web-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sizes = [
    ['holiday video.bin', Math.floor(total * 0.6)],
    ['archive.bin', total - Math.floor(total * 0.6) - 1000],
    ['notes ünïcode.txt', 1000],
  ] as const;
  return sizes.map(([name, size]) => {
    const path = join(dir, name);
    const hash = createHash('sha256');
    const fd = openSync(path, 'w');
    for (let left = size; left > 0; left -= 8 << 20) {
      const part = randomBytes(Math.min(left, 8 << 20));
      hash.update(part);
      writeSync(fd, part);
    }
    closeSync(fd);
    return { name, path, size, sha256: hash.digest('hex') };
  });
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Removes the File System Access API so the receiver uses the service-worker download. */
export async function withoutFolderPicker(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'showDirectoryPicker', { value: undefined, configurable: true });
  });
}

export async function startSend(sender: Page, url: string, files: TestFile[]): Promise<string> {
  await sender.goto(`${url}/send`);
  await sender.setInputFiles(
    '#file-input',
    files.map((f) => f.path),
  );
  await sender
    .locator('.file-list .file-row')
    .nth(files.length - 1)
    .waitFor();
  await screenshots(sender, 'send-picked');
  await sender.getByRole('button', { name: 'Create link' }).click();
  await waitForStatus(sender, 'Waiting for the receiver');
  return sender.locator('.link-input').inputValue();
}

export async function acceptOffer(receiver: Page, files: TestFile[]): Promise<void> {
  await waitForStatus(receiver, 'The sender offers these files');
  const names = await receiver.locator('.offer .file-name').allTextContents();
  assert.deepEqual(
    names,
    files.map((f) => f.name),
  );
  await screenshots(receiver, 'receive-offer');
  const violations = await seriousA11yViolations(receiver);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  await receiver.getByRole('button', { name: 'Accept' }).click();
}

/** Each file arrived as a download of its name with its SHA-256 (downloads may start in any order). */
export async function checkDownloads(downloads: Download[], files: TestFile[]): Promise<void> {
  assert.deepEqual(
    downloads.map((download) => download.suggestedFilename()).sort(),
    files.map((f) => f.name).sort(),
  );
  for (const file of files) {
    const download = downloads.find((candidate) => candidate.suggestedFilename() === file.name)!;
    assert.equal(await sha256OfFile(await download.path()), file.sha256, `SHA-256 of ${file.name}`);
  }
}

/**
 * A sender and a receiver page (no media; the receiver without the folder picker, so files stream to the
 * Downloads folder) on a server of their own, and test files of `totalBytes`. Undefined when Chromium is
 * missing and the test was skipped.
 */
export async function streamingTransferSetup(
  t: TestContext,
  totalBytes: number,
): Promise<{ server: RunningServer; files: TestFile[]; sender: Page; receiver: Page } | undefined> {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return undefined;
  const server = await startWebServer(t);
  const files = makeFiles(t, totalBytes);
  const { page: sender } = await newPage(browser, { media: false });
  const { page: receiver } = await newPage(browser, { media: false });
  await withoutFolderPicker(receiver);
  return { server, files, sender, receiver };
}
