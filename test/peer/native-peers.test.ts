/**
 * Our RTCPeerConnection against two native stacks from npm, each side as offerer: libwebrtc M98
 * (@roamhq/wrtc) and libdatachannel (node-datachannel's W3C polyfill). Ordered and unordered channels,
 * strings and binary from 1 byte to 256 KiB, 4 MiB intact (SHA-256), one channel closed while another
 * stays open. Only loopback is used: candidates on other addresses are moved to 127.0.0.1 or dropped.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import wrtc from '@roamhq/wrtc';
import * as ndc from 'node-datachannel/polyfill';
import { RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { signalInMemory } from '../support/signal-in-memory.ts';
import { nextEvent } from './pair.ts';

/** The W3C surface both sides share, as this test uses it. */
interface Channel extends EventTarget {
  readonly label: string;
  readonly readyState: string;
  binaryType: string;
  bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(): void;
}
interface Peer extends EventTarget {
  createDataChannel(label: string, init?: { ordered?: boolean }): Channel;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(description: { type: string; sdp?: string }): Promise<void>;
  addIceCandidate(candidate?: {
    candidate: string;
    sdpMid: string | null;
    sdpMLineIndex: number | null;
  }): Promise<void>;
  close(): void;
}

type Native = 'libwebrtc' | 'libdatachannel';

function nativePeer(kind: Native): Peer {
  if (kind === 'libwebrtc') return new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as Peer;
  return new ndc.RTCPeerConnection({ iceServers: [] }) as unknown as Peer;
}

/** Keeps loopback: 127.0.0.1 candidates pass, a wildcard-bound libjuice socket is reached on 127.0.0.1. */
function loopbackCandidate(text: string, kind: Native | 'dyad'): string | undefined {
  if (/ 127\.0\.0\.1 /.test(text)) return text;
  if (kind === 'libdatachannel' && / udp /i.test(text) && /\d+\.\d+\.\d+\.\d+ \d+ typ host/.test(text))
    return text.replace(/ \d+\.\d+\.\d+\.\d+ (\d+) typ host/, ' 127.0.0.1 $1 typ host');
  return undefined;
}

async function connect(
  offerer: Peer,
  offererKind: Native | 'dyad',
  answerer: Peer,
  answererKind: Native | 'dyad',
) {
  await signalInMemory(offerer, answerer, (candidate, from) =>
    loopbackCandidate(candidate, from === offerer ? offererKind : answererKind),
  );
}

function collect(channel: Channel): unknown[] {
  const received: unknown[] = [];
  channel.binaryType = 'arraybuffer';
  channel.addEventListener('message', (event) => received.push((event as MessageEvent).data));
  return received;
}

async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function run(t: TestContext, kind: Native, dyadOffers: boolean): Promise<void> {
  const transport = new LoopbackIceTransport();
  const dyad = new RTCPeerConnection(
    {},
    { iceTransport: transport, includeLoopback: true },
  ) as unknown as Peer;
  const native = nativePeer(kind);
  t.after(() => {
    dyad.close();
    native.close();
    transport.close();
  });
  const [offerer, answerer] = dyadOffers ? [dyad, native] : [native, dyad];
  const ordered = offerer.createDataChannel('ordered');
  const unordered = offerer.createDataChannel('unordered', { ordered: false });
  const arrived = new Map<string, Channel>();
  answerer.addEventListener('datachannel', (event) => {
    const channel = (event as Event & { channel: Channel }).channel;
    arrived.set(channel.label, channel);
  });
  await connect(offerer, dyadOffers ? 'dyad' : kind, answerer, dyadOffers ? kind : 'dyad');
  await until(
    () => ordered.readyState === 'open' && unordered.readyState === 'open' && arrived.size === 2,
    'both channels open',
  );
  const remoteOrdered = arrived.get('ordered')!;
  const remoteUnordered = arrived.get('unordered')!;
  const atAnswerer = collect(remoteOrdered);
  const atOfferer = collect(ordered);
  const sizes = [1, 1000, 65536, 256 * 1024];
  for (const size of sizes) ordered.send(new Uint8Array(size).fill(size & 0xff));
  ordered.send('text from the offerer');
  for (const size of sizes) remoteOrdered.send(new Uint8Array(size).fill(size & 0xff));
  remoteOrdered.send('text from the answerer');
  await until(() => atAnswerer.length === 5 && atOfferer.length === 5, 'messages both ways');
  for (const received of [atAnswerer, atOfferer]) {
    assert.deepEqual(
      received.slice(0, 4).map((data) => (data as ArrayBuffer).byteLength),
      sizes,
    );
    for (const [i, size] of sizes.entries())
      assert.ok(new Uint8Array(received[i] as ArrayBuffer).every((byte) => byte === (size & 0xff)));
  }
  assert.equal(atAnswerer[4], 'text from the offerer');
  assert.equal(atOfferer[4], 'text from the answerer');

  const unorderedReceived = collect(remoteUnordered);
  for (let i = 0; i < 100; i++) unordered.send(`u${i}`);
  await until(() => unorderedReceived.length === 100, 'unordered messages');
  assert.equal(new Set(unorderedReceived).size, 100);

  // 4 MiB in 16 KiB messages, with backpressure, checked by SHA-256.
  const data = randomBytes(4 * 1024 * 1024);
  atAnswerer.length = 0;
  for (let offset = 0; offset < data.length; offset += 16384) {
    while (ordered.bufferedAmount > 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 2));
    ordered.send(data.subarray(offset, offset + 16384));
  }
  await until(() => atAnswerer.length === data.length / 16384, '4 MiB', 60_000);
  const hash = createHash('sha256');
  for (const chunk of atAnswerer) hash.update(new Uint8Array(chunk as ArrayBuffer));
  assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));

  // Closing one channel (RFC 8831 §6.7 stream reset) leaves the other open.
  const closed = nextEvent(remoteUnordered, 'close');
  unordered.close();
  await closed;
  remoteOrdered.send('still open');
  await until(() => atOfferer.includes('still open'), 'a message after the other channel closed');
  assert.equal(ordered.readyState, 'open');
}

for (const kind of ['libwebrtc', 'libdatachannel'] as const) {
  describe(`Dyad ↔ ${kind}`, { timeout: 90_000 }, () => {
    it('Dyad offers', (t) => run(t, kind, true));
    it(`${kind} offers`, (t) => run(t, kind, false));
  });
}
