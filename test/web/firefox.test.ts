/**
 * Across browsers: Chromium (Playwright) and Debian's Firefox ESR (puppeteer-core over WebDriver BiDi, fake
 * media through preferences) call each other through `dyad serve`, and Firefox sends files to Chromium.
 * Firefox brings independent DTLS (NSS), SCTP (its usrsctp) and ICE implementations.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Download } from 'playwright-core';
import puppeteer, {
  type ElementHandle,
  type Browser as FirefoxBrowser,
  type Page as FirefoxPage,
} from 'puppeteer-core';
import { findProgram } from '../support/external.ts';
import { checkDownloads, makeFiles, sha256OfFile, startSend, withoutFolderPicker } from './files-harness.ts';
import {
  artifactsDir,
  ensureWebBuild,
  launchBrowser,
  newPage,
  remoteFrames,
  startWebServer,
  waitForStatus,
} from './harness.ts';

async function launchFirefox(
  t: Parameters<typeof findProgram>[0],
  prefs: Record<string, string | number | boolean> = {},
): Promise<FirefoxBrowser | undefined> {
  const executablePath = findProgram(t, 'firefox-esr', ['/usr/bin/firefox-esr', '/usr/bin/firefox']);
  if (!executablePath) return undefined;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.peerconnection.ice.loopback': true,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      ...prefs,
    },
  });
  t.after(() => browser.close().catch(() => {}));
  return browser;
}

// Expressions as strings: tsx would wrap named functions in a helper that does not exist in the page.
const statusExpression = "document.querySelector('.status-text')?.textContent ?? ''";
// Headless Firefox paints no frames, so count decoded ones (inbound-rtp framesDecoded, sampled by the page).
const framesExpression = 'window.dyad?.page?.lastStats?.framesDecoded ?? 0';

/**
 * Polls `expression` in the page's own realm. (puppeteer's waitForFunction runs in an isolated realm under
 * BiDi, where Firefox's Xray wrappers hide the page's own globals such as `window.dyad`.)
 */
async function firefoxWaitFor(page: FirefoxPage, expression: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function firefoxStatus(page: FirefoxPage, text: string, timeout = 20_000): Promise<void> {
  await firefoxWaitFor(page, `(${statusExpression}).includes(${JSON.stringify(text)})`, timeout);
}

test('Chromium ↔ Firefox: a call with video both ways, chat and the same safety code', async (t) => {
  ensureWebBuild();
  const chromium = await launchBrowser(t);
  if (!chromium) return;
  const firefox = await launchFirefox(t);
  if (!firefox) return;
  const server = await startWebServer(t);
  const room = `ff-${randomBytes(4).toString('hex')}`;
  const { page: a } = await newPage(chromium);
  const b = await firefox.newPage();

  await a.goto(`${server.url}/call/${room}`);
  await waitForStatus(a, 'Waiting for the other person');
  await b.goto(`${server.url}/call/${room}`);
  await waitForStatus(a, /^Connected/, 30_000);
  await firefoxStatus(b, 'Connected', 30_000);

  const chromiumFrames = await remoteFrames(a);
  const firefoxFrames = Number(await b.evaluate(framesExpression));
  await a.waitForFunction((start) => {
    const video = document.querySelector<HTMLVideoElement>('.remote-video');
    return (video?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > start + 5;
  }, chromiumFrames);
  await firefoxWaitFor(b, `(${framesExpression}) > ${firefoxFrames + 5}`, 15_000);

  // Firefox's autoplay policy may hold unmuted media until a click: the page then offers a button.
  const promptShown = Boolean(await b.evaluate("!document.querySelector('.play-prompt').hidden"));
  if (promptShown) await b.click('.play-prompt');
  await firefoxWaitFor(b, "!document.querySelector('.remote-video').paused", 5_000);
  console.log(`Firefox autoplay prompt shown: ${promptShown}`);

  const codeA = (await a.locator('.safety-code').textContent()) ?? '';
  assert.match(codeA, /^\d{4} \d{4} \d{4}$/);
  assert.equal(await b.evaluate("document.querySelector('.safety-code').textContent"), codeA);

  await a.getByRole('textbox', { name: 'Message' }).fill('hello Firefox');
  await a.getByRole('button', { name: 'Send' }).click();
  await firefoxWaitFor(
    b,
    "document.querySelector('.chat-message.them')?.textContent.includes('hello Firefox')",
    5_000,
  );
  await b.type('.chat-input', 'hello Chromium');
  await b.click('.chat-form button[type=submit]');
  await a.locator('.chat-message.them', { hasText: 'hello Chromium' }).waitFor({ timeout: 5_000 });

  mkdirSync(artifactsDir, { recursive: true });
  await b.screenshot({ path: join(artifactsDir, 'firefox-call-connected-desktop.png') });
  await b.click('.controls .danger');
  await firefoxStatus(b, 'You left the call');
  await waitForStatus(a, 'The other person left');
});

test('Firefox sends several files to Chromium: verified SHA-256', async (t) => {
  ensureWebBuild();
  const chromium = await launchBrowser(t);
  if (!chromium) return;
  const firefox = await launchFirefox(t);
  if (!firefox) return;
  const server = await startWebServer(t);
  const files = makeFiles(t, 12 * 1024 * 1024);
  const sender = await firefox.newPage();
  await sender.goto(`${server.url}/send`);
  const input = (await sender.$('#file-input')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(...files.map((f) => f.path));
  await firefoxWaitFor(
    sender,
    `document.querySelectorAll('.file-list .file-row').length === ${files.length}`,
    5_000,
  );
  await sender.click('.picker .button.primary');
  await firefoxStatus(sender, 'Waiting for the receiver');
  const link = String(await sender.evaluate("document.querySelector('.link-input').value"));

  const { page: receiver } = await newPage(chromium, { media: false });
  await withoutFolderPicker(receiver);
  const downloads: Download[] = [];
  receiver.on('download', (download) => downloads.push(download));
  await receiver.goto(link);
  await waitForStatus(receiver, 'The sender offers these files', 30_000);
  await receiver.getByRole('button', { name: 'Accept' }).click();
  await waitForStatus(receiver, 'All files received and verified', 60_000);
  await firefoxStatus(sender, 'All files delivered and verified');
  await checkDownloads(downloads, files);
});

test('Chromium sends several files to Firefox: streamed to its download folder, verified SHA-256', async (t) => {
  ensureWebBuild();
  const chromium = await launchBrowser(t);
  if (!chromium) return;
  const downloadDir = mkdtempSync(join(tmpdir(), 'dyad-firefox-downloads-'));
  t.after(() => rmSync(downloadDir, { recursive: true, force: true }));
  const firefox = await launchFirefox(t, {
    'browser.download.folderList': 2,
    'browser.download.dir': downloadDir,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
  });
  if (!firefox) return;
  const server = await startWebServer(t);
  const files = makeFiles(t, 12 * 1024 * 1024);
  const { page: sender } = await newPage(chromium, { media: false });
  const link = await startSend(sender, server.url, files);
  const receiver = await firefox.newPage();
  await receiver.goto(link);
  await firefoxStatus(receiver, 'The sender offers these files', 30_000);
  await receiver.click('.offer .button.primary');
  await firefoxStatus(receiver, 'All files received and verified', 60_000);
  await waitForStatus(sender, 'All files delivered and verified');
  for (const file of files) {
    const path = join(downloadDir, file.name);
    for (let i = 0; i < 50 && !existsSync(path); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await sha256OfFile(path), file.sha256, `SHA-256 of ${file.name} saved by Firefox`);
  }
});
