/**
 * Regenerates the browser SDP fixtures in test/fixtures/sdp/ from Debian's Chromium and Firefox ESR:
 *   node --import tsx test/sdp/capture-fixtures.ts
 * Each browser makes two RTCPeerConnections in one page, offers audio + video + a data channel from one and
 * answers from the other (also with three-layer simulcast video), waits for gathering to finish and saves
 * the local descriptions verbatim. Pages are served from 127.0.0.1 so getUserMedia has a secure context.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { chromiumArgs } from '../support/chromium.ts';

type Captured = { offer: string; answer: string };

/** Runs in the page: one call, two peer connections, returns both descriptions after gathering. */
async function captureInPage(simulcast: boolean): Promise<Captured> {
  const gathered = (pc: RTCPeerConnection) =>
    new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 5000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  const offerer = new RTCPeerConnection();
  const answerer = new RTCPeerConnection();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const track of stream.getTracks()) {
    if (simulcast && track.kind === 'video') {
      offerer.addTransceiver(track, {
        streams: [stream],
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4 },
          { rid: 'h', scaleResolutionDownBy: 2 },
          { rid: 'f' },
        ],
      });
    } else {
      offerer.addTrack(track, stream);
    }
  }
  offerer.createDataChannel('chat');
  await offerer.setLocalDescription(await offerer.createOffer());
  await gathered(offerer);
  await answerer.setRemoteDescription(offerer.localDescription!);
  const answerStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const track of answerStream.getTracks()) answerer.addTrack(track, answerStream);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await gathered(answerer);
  const result = { offer: offerer.localDescription!.sdp, answer: answerer.localDescription!.sdp };
  offerer.close();
  answerer.close();
  return result;
}

// tsx compiles functions with esbuild's keepNames, which wraps them in __name(); pages lack that helper.
const keepNamesShim = 'globalThis.__name = (fn) => fn;';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'sdp');

function save(browser: string, variant: string, captured: Captured): void {
  for (const kind of ['offer', 'answer'] as const) {
    const file = join(fixtures, `${browser}${variant}-${kind}.sdp`);
    writeFileSync(file, captured[kind]);
    console.log(`wrote ${file} (${captured[kind].length} bytes)`);
  }
}

const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>sdp</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    await page.addInitScript(keepNamesShim);
    await page.goto(pageUrl);
    save('chromium', '', await page.evaluate(captureInPage, false));
    save('chromium', '-simulcast', await page.evaluate(captureInPage, true));
  } finally {
    await browser.close();
  }

  const firefox = await puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.peerconnection.ice.loopback': true,
    },
  });
  try {
    const page = await firefox.newPage();
    await page.evaluateOnNewDocument(keepNamesShim);
    await page.goto(pageUrl);
    save('firefox', '', await page.evaluate(captureInPage, false));
    save('firefox', '-simulcast', await page.evaluate(captureInPage, true));
  } finally {
    await firefox.close();
  }
} finally {
  server.close();
}
