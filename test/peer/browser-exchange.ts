/**
 * The Node side of the Node ↔ browser data-channel tests: the client SDK with our RTCPeerConnection (on
 * loopback sockets) and `ws`, against a page running browser-page.ts, through a real dyad serve.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import {
  type DyadCall,
  joinRoom,
  type PeerConnectionConstructor,
  type WebSocketConstructor,
} from '../../src/client/index.ts';
import { type RTCConfiguration, type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { startServer } from '../../src/server/index.ts';
import { bundleForBrowser, serveStatic, waitUntil } from '../client/browser-harness.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import type { PeerPageSnapshot } from './browser-page.ts';
import { nextEvent } from './pair.ts';

/** A browser page running browser-page.ts. */
export interface BrowserPeer {
  start(wsUrl: string, room: string): Promise<void>;
  send(text: string): Promise<void>;
  bulkBytes(): Promise<number>;
  bulkDigest(): Promise<string>;
  snapshot(): Promise<PeerPageSnapshot>;
  errors: string[];
}

/** Serves the page (bundled with the client SDK) on loopback; returns its URL. */
export async function servePeerPage(t: TestContext): Promise<string> {
  const script = await bundleForBrowser(fileURLToPath(new URL('./browser-page.ts', import.meta.url)));
  const baseUrl = await serveStatic(t, (pathname) => {
    if (pathname === '/')
      return {
        body: '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>',
        type: 'text/html; charset=utf-8',
      };
    if (pathname === '/page.js') return { body: script, type: 'text/javascript; charset=utf-8' };
    return undefined;
  });
  return `${baseUrl}/`;
}

const transports: LoopbackIceTransport[] = [];

/** Our RTCPeerConnection as the SDK constructs it, on loopback sockets. */
export class LoopbackPeerConnection extends RTCPeerConnection {
  constructor(configuration?: RTCConfiguration) {
    const iceTransport = new LoopbackIceTransport();
    transports.push(iceTransport);
    super(configuration, { iceTransport, includeLoopback: true });
  }
}

async function joinFromNode(url: string, room: string, channels: RTCDataChannel[]): Promise<DyadCall> {
  const call = await joinRoom(url, room, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    RTCPeerConnection: LoopbackPeerConnection as unknown as PeerConnectionConstructor,
    iceServers: [],
    reconnect: false,
    createDataChannels: (pc, { offerer }) => {
      if (offerer) channels.push(pc.createDataChannel('chat') as unknown as RTCDataChannel);
    },
  });
  call.addEventListener('datachannel', (event) =>
    channels.push((event as unknown as { channel: RTCDataChannel }).channel),
  );
  return call;
}

/**
 * Joins Node and the browser to a room (the first to join offers) and checks messages both ways; then
 * Node opens a `bulk` channel on the running association and sends `bulkMiB` MiB, checked by SHA-256.
 */
export async function exchange(t: TestContext, browser: BrowserPeer, nodeFirst: boolean, bulkMiB = 0) {
  const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  t.after(() => server.close());
  t.after(() => {
    for (const transport of transports.splice(0)) transport.close();
  });
  const room = nodeFirst ? 'node-offers' : 'browser-offers';
  const channels: RTCDataChannel[] = [];
  let call: DyadCall;
  if (nodeFirst) {
    call = await joinFromNode(server.wsUrl(), room, channels);
    await browser.start(server.wsUrl(), room);
  } else {
    await browser.start(server.wsUrl(), room);
    call = await joinFromNode(server.wsUrl(), room, channels);
  }
  t.after(() => call.leave());
  const describeState = async () =>
    JSON.stringify({ node: channels.map((c) => c.readyState), page: await browser.snapshot() });
  await waitUntil(async () => channels[0]?.readyState === 'open', 20_000, describeState);
  const channel = channels[0]!;
  channel.binaryType = 'arraybuffer';
  const texts: string[] = [];
  const binaries: Uint8Array[] = [];
  channel.addEventListener('message', (event) => {
    const data = (event as MessageEvent).data;
    if (typeof data === 'string') texts.push(data);
    else binaries.push(new Uint8Array(data as ArrayBuffer));
  });
  channel.send('ping from node');
  channel.send(new Uint8Array([42]));
  // Browsers' a=max-message-size is 256 KiB or more: one message of nearly that size, in fragments.
  channel.send(new Uint8Array(200 * 1024).fill(9));
  await browser.send('hello from the browser');
  await waitUntil(
    async () => texts.length >= 2 && binaries.length >= 2,
    20_000,
    async () =>
      JSON.stringify({ texts, binaries: binaries.map((b) => b.length), page: await browser.snapshot() }),
  );
  assert.deepEqual(texts.sort(), ['echo ping from node', 'hello from the browser']);
  assert.deepEqual(
    binaries.map((b) => b.length),
    [1, 200 * 1024],
  );
  assert.equal(binaries[0]![0], 42);
  assert.ok(binaries[1]!.every((byte) => byte === 9));
  const page = await browser.snapshot();
  assert.deepEqual(page.texts, ['ping from node']);
  assert.deepEqual(page.binaries, ['1:42', `${200 * 1024}:9`]);
  assert.equal(page.connectionState, 'connected');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(browser.errors, []);
  if (bulkMiB > 0) await sendBulk(t, call.peerConnection as unknown as RTCPeerConnection, browser, bulkMiB);
  const closed = nextEvent(channel, 'close', 10_000);
  call.leave();
  await closed;
}

/** `mib` MiB of random data in 64 KiB messages on a new channel, with backpressure. */
async function sendBulk(
  t: TestContext,
  pc: RTCPeerConnection,
  browser: BrowserPeer,
  mib: number,
): Promise<void> {
  // The association is up: a new channel needs no renegotiation (DCEP, RFC 8832).
  const bulk = pc.createDataChannel('bulk');
  await nextEvent(bulk, 'open');
  const total = mib * 1024 * 1024;
  const chunk = 64 * 1024;
  const hash = createHash('sha256');
  const started = Date.now();
  bulk.bufferedAmountLowThreshold = 1024 * 1024;
  for (let offset = 0; offset < total; offset += chunk) {
    const piece = randomBytes(chunk);
    hash.update(piece);
    if (bulk.bufferedAmount > 4 * 1024 * 1024) await nextEvent(bulk, 'bufferedamountlow', 30_000);
    bulk.send(piece);
  }
  await waitUntil(
    async () => (await browser.bulkBytes()) >= total,
    120_000,
    async () => `${await browser.bulkBytes()} of ${total}`,
  );
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(
    `${mib} MiB to the browser in ${seconds.toFixed(1)} s (${(total / 1e6 / seconds).toFixed(1)} MB/s)`,
  );
  assert.equal(await browser.bulkDigest(), hash.digest('hex'));
}
