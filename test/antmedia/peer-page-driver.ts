/**
 * Drives peer.html, a page that uses Ant Media's WebRTCAdaptor (2.16.2, served from node_modules) the way
 * Ant Media's peer.html sample does.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import {
  collectPageErrors,
  readBelow,
  type StaticFile,
  serveStatic,
  waitUntil,
} from '../client/browser-harness.ts';

const sdkRoot = fileURLToPath(
  new URL('../../node_modules/@antmedia/webrtc_adaptor/dist/es', import.meta.url),
);
const pageFolder = fileURLToPath(new URL('.', import.meta.url));

type PeerState = { frames: number; infos: string[]; errors: string[] };
type PeerTestApi = {
  state: PeerState;
  init(websocketUrl: string, iceServers?: RTCIceServer[]): Promise<void>;
  join(room: string): void;
  leave(room: string): void;
  hasPeerConnection(room: string): boolean;
};

function api(page: Page) {
  const state = () =>
    page.evaluate(() => (globalThis as unknown as { peerTest: PeerTestApi }).peerTest.state);
  return {
    page,
    state,
    frames: async () => (await state()).frames,
    init: (url: string, iceServers?: RTCIceServer[]) =>
      page.evaluate(
        ([u, servers]) =>
          (globalThis as unknown as { peerTest: PeerTestApi }).peerTest.init(
            u as string,
            servers as RTCIceServer[] | undefined,
          ),
        [url, iceServers] as const,
      ),
    join: (room: string) =>
      page.evaluate((r) => (globalThis as unknown as { peerTest: PeerTestApi }).peerTest.join(r), room),
    leave: (room: string) =>
      page.evaluate((r) => (globalThis as unknown as { peerTest: PeerTestApi }).peerTest.leave(r), room),
    hasPeerConnection: (room: string) =>
      page.evaluate(
        (r) => (globalThis as unknown as { peerTest: PeerTestApi }).peerTest.hasPeerConnection(r),
        room,
      ),
  };
}
export type Peer = ReturnType<typeof api> & { name: string; errors: string[] };

export async function openPeer(browser: Browser, baseUrl: string, name: string): Promise<Peer> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const errors = collectPageErrors(page, name);
  await page.goto(`${baseUrl}/peer.html`);
  await page.waitForFunction(() => 'peerTest' in globalThis);
  return { ...api(page), name, errors };
}

/** Waits until both peers' remote video presents `frames` more frames than when called. */
export async function expectRemoteFramesAdvancing(
  peers: Peer[],
  frames: number,
  timeoutMs = 20_000,
): Promise<void> {
  const baseline = await Promise.all(peers.map((peer) => peer.frames()));
  await waitUntil(
    async () => {
      const now = await Promise.all(peers.map((peer) => peer.frames()));
      return now.every((count, index) => count >= (baseline[index] ?? 0) + frames);
    },
    timeoutMs,
    async () => {
      const states = await Promise.all(
        peers.map(async (peer) => `${peer.name}: ${JSON.stringify(await peer.state())}`),
      );
      return `${states.join(' | ')} ${peers.flatMap((peer) => peer.errors).join('; ')}`;
    },
  );
}

/** Files of the peer page: `/peer.html` and the SDK's ES modules under `/antmedia/`. */
export function peerPageFiles(pathname: string): Promise<StaticFile | undefined> | undefined {
  if (pathname === '/peer.html') return readBelow(pageFolder, 'peer.html');
  if (pathname.startsWith('/antmedia/')) return readBelow(sdkRoot, pathname.slice('/antmedia/'.length));
  return undefined;
}

/**
 * The peer.html call: two pages with WebRTCAdaptor join one room (Alice through `aliceWsUrl`, Bob through
 * `bobWsUrl`, the same server or two processes sharing rooms); both show advancing remote video; Bob leaves
 * and Alice's video stops; Bob re-joins and the call comes back.
 */
export async function runAntMediaPeerCall(
  t: TestContext,
  browser: Browser,
  aliceWsUrl: string,
  bobWsUrl: string,
): Promise<void> {
  const baseUrl = await serveStatic(t, peerPageFiles);
  const room = 'antmedia-peer';
  const alice = await openPeer(browser, baseUrl, 'alice');
  const bob = await openPeer(browser, baseUrl, 'bob');
  // Alice passes ICE servers as peer.html does; Bob passes none, so his SDK asks getIceServerConfig.
  await alice.init(aliceWsUrl, []);
  await bob.init(bobWsUrl);
  await alice.join(room);
  await waitUntil(
    async () => (await alice.state()).infos.includes('joined'),
    10_000,
    () => 'alice not joined',
  );
  await bob.join(room);
  await expectRemoteFramesAdvancing([alice, bob], 15);

  await bob.leave(room);
  await waitUntil(
    async () => !(await alice.hasPeerConnection(room)) && (await bob.state()).infos.includes('leaved'),
    10_000,
    async () =>
      `alice still has a peer connection or bob got no leaved: ${JSON.stringify(await bob.state())}`,
  );
  // The call is really down: Alice's remote video stops.
  const stalled = await alice.frames();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.ok((await alice.frames()) <= stalled + 2, 'remote frames stop after the partner left');

  const rejoinedAt = Date.now();
  await bob.join(room);
  await expectRemoteFramesAdvancing([alice, bob], 15);
  console.log(`call back ${Date.now() - rejoinedAt} ms after the re-join`);
  assert.equal(await alice.hasPeerConnection(room), true);
  assert.deepEqual([...alice.errors, ...bob.errors], []);
  for (const peer of [alice, bob]) assert.deepEqual((await peer.state()).errors, []);
}
