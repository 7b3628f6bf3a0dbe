/**
 * `dyad send` → Chromium's /receive page (the link `dyad send` prints, served by its built-in server), and
 * Chromium's /send page → `dyad receive <link>`: the web app and the terminal speak one protocol, prove
 * the same secret, and show the same safety code; every file's SHA-256 is checked here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Download } from 'playwright-core';
import {
  acceptOffer,
  checkDownloads,
  makeFiles,
  startSend,
  withoutFolderPicker,
} from '../web/files-harness.ts';
import {
  ensureWebBuild,
  launchBrowser,
  newPage,
  screenshots,
  startWebServer,
  waitForStatus,
} from '../web/harness.ts';
import { exitWithin, runDyad, sha256OfFile, stopAfter, tempDir } from './transfer-harness.ts';

const TOTAL_BYTES = 12 * 1024 * 1024;

async function safetyCodeOnPage(page: import('playwright-core').Page): Promise<string> {
  const code = page.locator('.safety-code');
  await code.filter({ hasText: /^\d{4} \d{4} \d{4}$/ }).waitFor({ timeout: 30_000 });
  return (await code.textContent()) ?? '';
}

test('dyad send → Chromium /receive through the link it prints (its own server), SHA-256 equal', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const files = makeFiles(t, TOTAL_BYTES);
  const sender = stopAfter(t, runDyad(['send', ...files.map((f) => f.path), '--json']));
  const ready = await sender.waitFor('ready');
  const { page } = await newPage(browser, { media: false });
  await withoutFolderPicker(page);
  const downloads: Download[] = [];
  page.on('download', (download) => downloads.push(download));
  await page.goto(ready['link'] as string);
  await acceptOffer(page, files);
  await waitForStatus(page, 'All files received and verified', 120_000);
  await screenshots(page, 'terminal-to-browser-done');
  assert.equal(await exitWithin(sender, 15_000), 0, sender.stderr());
  await checkDownloads(downloads, files);
  assert.equal(await safetyCodeOnPage(page), (await sender.waitFor('connected'))['safetyCode']);
});

test('Chromium /send → dyad receive <link>, SHA-256 equal', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const files = makeFiles(t, TOTAL_BYTES);
  const { page } = await newPage(browser, { media: false });
  const link = await startSend(page, server.url, files);
  assert.match(link, /\/receive\/[A-Za-z0-9-]+#[0-9a-z]{16}$/);
  const out = tempDir(t, 'dyad-receive-');
  const receiver = stopAfter(t, runDyad(['receive', link, '--out', out, '--yes', '--json']));
  assert.equal(await exitWithin(receiver, 120_000), 0, receiver.stderr());
  await waitForStatus(page, 'All files delivered and verified', 30_000);
  await screenshots(page, 'browser-to-terminal-done');
  for (const file of files) assert.equal(await sha256OfFile(join(out, file.name)), file.sha256, file.name);
  assert.equal(await safetyCodeOnPage(page), (await receiver.waitFor('connected'))['safetyCode']);
});
