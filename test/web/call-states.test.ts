/**
 * The call page's error states in real Chromium: a third person gets "room full" without disturbing the
 * call; a person whose camera and microphone are denied still connects and receives; the signaling server
 * stopped mid-call shows "reconnecting" and the call comes back when the server does; the home page.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  ensureWebBuild,
  framesAdvance,
  launchBrowser,
  newPage,
  screenshots,
  seriousA11yViolations,
  startWebServer,
  waitForStatus,
} from './harness.ts';

const room = () => `states-${randomBytes(4).toString('hex')}`;

test('home page: start a call shows the link and QR code; accessible at both widths', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const { page } = await newPage(browser);
  await page.goto(server.url);
  await screenshots(page, 'home');
  await page.getByRole('button', { name: 'Start a call' }).click();
  const link = await page.locator('.home-invite .link-input').inputValue();
  assert.match(link, new RegExp(`^${server.url}/call/[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$`));
  await page.locator('.home-invite .qr svg').waitFor();
  await screenshots(page, 'home-invite');
  assert.deepEqual(await seriousA11yViolations(page), []);
  // Keyboard: the invite's "Join the call now" has focus and Enter follows it.
  await page.keyboard.press('Enter');
  await page.waitForURL(link);
  await waitForStatus(page, 'Waiting for the other person');
  await page.goto(`${server.url}/send`);
  await screenshots(page, 'send-empty');
  assert.deepEqual(await seriousA11yViolations(page), []);
});

test('a third person gets "room full" and the call goes on', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const name = room();
  const { page: a } = await newPage(browser);
  const { page: b } = await newPage(browser);
  const { page: c } = await newPage(browser);
  await a.goto(`${server.url}/call/${name}`);
  await waitForStatus(a, 'Waiting for the other person');
  await b.goto(`${server.url}/call/${name}`);
  await waitForStatus(a, /^Connected/);
  await waitForStatus(b, /^Connected/);
  await c.goto(`${server.url}/call/${name}`);
  await waitForStatus(c, 'This call is full');
  assert.equal(await c.locator('.stage-overlay h2').textContent(), 'This call already has two people');
  await screenshots(c, 'call-room-full');
  assert.deepEqual(await seriousA11yViolations(c), []);
  await framesAdvance(a);
  await framesAdvance(b);
  await waitForStatus(a, /^Connected/);
});

test('camera and microphone denied: the call still connects, receiving only', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const name = room();
  const { page: denied } = await newPage(browser, { media: false });
  await denied.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  const { page: other } = await newPage(browser);
  // The denied side joins first, so it is the one that offers (with receive-only transceivers).
  await denied.goto(`${server.url}/call/${name}`);
  await waitForStatus(denied, 'Waiting for the other person');
  assert.match((await denied.locator('.notice').textContent()) ?? '', /Camera and microphone blocked/);
  await other.goto(`${server.url}/call/${name}`);
  await waitForStatus(denied, /^Connected/);
  await waitForStatus(other, /^Connected/);
  await framesAdvance(denied);
  const audio = await denied.evaluate(
    () =>
      (
        document.querySelector<HTMLVideoElement>('.remote-video')?.srcObject as MediaStream | null
      )?.getAudioTracks()[0]?.readyState,
  );
  assert.equal(audio, 'live');
  assert.equal(await denied.getByRole('button', { name: 'Mute' }).isDisabled(), true);
  await other.locator('[data-badge="camera-off"]').waitFor({ timeout: 5_000 });
  await screenshots(denied, 'call-camera-denied');
});

test('signaling server stopped mid-call: "reconnecting", then the call comes back', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const first = await startWebServer(t);
  const name = room();
  const { page: a } = await newPage(browser);
  const { page: b } = await newPage(browser);
  await a.goto(`${first.url}/call/${name}`);
  await waitForStatus(a, 'Waiting for the other person');
  await b.goto(`${first.url}/call/${name}`);
  await waitForStatus(a, /^Connected/);
  await waitForStatus(b, /^Connected/);
  await first.close();
  await waitForStatus(a, 'Reconnecting to the signaling server');
  await waitForStatus(b, 'Reconnecting to the signaling server');
  await screenshots(a, 'call-server-reconnecting');
  await startWebServer(t, first.port);
  await waitForStatus(a, /^Connected/, 30_000);
  await waitForStatus(b, /^Connected/, 30_000);
  await framesAdvance(a);
  await framesAdvance(b);
});

test('signaling server unreachable at first: the page says so, retries, and joins once it answers', async (t) => {
  ensureWebBuild();
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await startWebServer(t);
  const { page } = await newPage(browser);
  let refused = 0;
  await page.routeWebSocket(/\/websocket/, (ws) => {
    // The first two sockets fail as if nothing listened; later ones reach the server.
    if (refused < 2) {
      refused++;
      void ws.close({ code: 4000, reason: 'unreachable' });
    } else ws.connectToServer();
  });
  await page.goto(`${server.url}/call/${room()}`);
  await waitForStatus(page, 'Signaling server unreachable. Retrying');
  await screenshots(page, 'call-server-unreachable');
  await waitForStatus(page, 'Waiting for the other person', 30_000);
  assert.equal(refused, 2);
});
