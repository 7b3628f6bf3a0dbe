/**
 * Drives peer.html, a page that uses Ant Media's WebRTCAdaptor (2.16.2, served from node_modules) the way
 * Ant Media's peer.html sample does.
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, readBelow, type StaticFile, waitUntil } from '../client/browser-harness.ts';

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
