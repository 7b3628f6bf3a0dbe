/**
 * Shared by the browser ICE interop tests: the page side (an Ant Media P2P client with one
 * RTCPeerConnection carrying a data channel, run in the browser through `evaluate`), and one session
 * between it and our agent (test/ice/antmedia-ice-peer.ts) through the real signaling server.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { RunningServer } from '../../src/server/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { AntMediaIcePeer } from './antmedia-ice-peer.ts';

declare global {
  interface Window {
    iceStates: string[];
    pc: RTCPeerConnection;
    localCandidates: string[];
    joined: boolean;
  }
}

/** Runs in the page: an Ant Media P2P client with one RTCPeerConnection and a data channel. */
export function pagePeer({ wsUrl, room }: { wsUrl: string; room: string }): void {
  window.iceStates = [];
  window.localCandidates = [];
  window.joined = false;
  const ws = new WebSocket(wsUrl);
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.pc = pc;
  const queued: RTCIceCandidateInit[] = [];
  const send = (message: object) => ws.send(JSON.stringify(message));
  pc.oniceconnectionstatechange = () => window.iceStates.push(pc.iceConnectionState);
  pc.onicecandidate = (event) => {
    const candidate = event.candidate?.candidate ?? '';
    if (candidate) window.localCandidates.push(candidate);
    send({
      command: 'takeCandidate',
      streamId: room,
      label: event.candidate?.sdpMLineIndex ?? 0,
      id: event.candidate?.sdpMid ?? '0',
      candidate,
    });
  };
  ws.onopen = () => send({ command: 'join', streamId: room, mode: 'both', multiPeer: false });
  ws.onmessage = async (event) => {
    const message = JSON.parse(event.data);
    if (message.command === 'notification' && message.definition === 'joined') window.joined = true;
    if (message.command === 'start') {
      pc.createDataChannel(room, { ordered: true });
      await pc.setLocalDescription(await pc.createOffer());
      send({ command: 'takeConfiguration', streamId: room, type: 'offer', sdp: pc.localDescription!.sdp });
    } else if (message.command === 'takeConfiguration') {
      await pc.setRemoteDescription({ type: message.type, sdp: message.sdp });
      if (message.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        send({ command: 'takeConfiguration', streamId: room, type: 'answer', sdp: pc.localDescription!.sdp });
      }
      for (const candidate of queued.splice(0)) await pc.addIceCandidate(candidate);
    } else if (message.command === 'takeCandidate') {
      const candidate = { candidate: message.candidate, sdpMLineIndex: message.label, sdpMid: message.id };
      if (pc.remoteDescription) await pc.addIceCandidate(candidate);
      else queued.push(candidate);
    }
  };
}

/** STUN-looking datagrams that are not valid STUN: bad length, truncated header, broken FINGERPRINT. */
const garbage = [
  Buffer.from('000100040000000000000000000000000000000000060009', 'hex'),
  Buffer.from('0001000021', 'hex'),
  Buffer.from('000100082112a442000000000000000000000000802800040000dead', 'hex'),
];

async function sendGarbage(address: string, port: number): Promise<void> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  for (const packet of garbage) await new Promise((resolve) => socket.send(packet, port, address, resolve));
  socket.close();
}

export const isLoopback = (c: { address: string }) => c.address === '::1' || c.address.startsWith('127.');

/** What a Playwright page can do, as far as these tests need. */
export interface BrowserPage {
  evaluate<T, A>(fn: (arg: A) => T | Promise<T>, arg: A): Promise<T>;
}

export interface SessionOptions {
  readonly browserName: string;
  readonly server: RunningServer;
  readonly room: string;
  readonly role: 'controlling' | 'controlled';
}

async function poll(
  what: string,
  condition: () => Promise<boolean> | boolean,
  limitMs: number,
  diagnostics?: () => Promise<string>,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started >= limitMs) {
      assert.fail(`${what} within ${limitMs} ms${diagnostics ? `: ${await diagnostics()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One ICE session: whoever joins the room first gets `start` and offers (JSEP: the offerer controls). Asserts
 * the browser's iceConnectionState reaches connected, our agent's role and selection, that malformed STUN
 * is dropped and counted while the session carries on.
 */
export async function runIceSession(page: BrowserPage, options: SessionOptions): Promise<void> {
  const { server, room, role, browserName } = options;
  const node = () =>
    new AntMediaIcePeer({
      wsUrl: server.wsUrl(),
      room,
      agent: {
        // No multicast DNS: tests send nothing off this machine, and the browser shows host addresses.
        transport: new LoopbackIceTransport(),
        includeLoopback: true,
      },
      // Only loopback addresses are test targets.
      acceptCandidate: isLoopback,
    });
  let peer: AntMediaIcePeer | undefined;
  const started = Date.now();
  try {
    if (role === 'controlling') {
      peer = node();
      await peer.joined();
      await page.evaluate(pagePeer, { wsUrl: server.wsUrl(), room });
    } else {
      await page.evaluate(pagePeer, { wsUrl: server.wsUrl(), room });
      await poll('the page joined', () => page.evaluate(() => window.joined, undefined), 10_000);
      peer = node();
    }
    const agent = peer.agent;
    const diagnostics = async () =>
      JSON.stringify({
        browser: await page.evaluate(
          () => ({ states: window.iceStates, candidates: window.localCandidates }),
          undefined,
        ),
        agent: agent.state,
        counters: agent.counters,
        pairs: agent.pairs.map(
          (p) => `${p.local.candidate.address}>${p.remote.address}:${p.remote.candidate.port} ${p.state}`,
        ),
      });
    await poll(
      `${browserName} iceConnectionState connected`,
      async () =>
        /^(connected|completed)$/.test(await page.evaluate(() => window.pc.iceConnectionState, undefined)),
      20_000,
      diagnostics,
    );
    const elapsed = Date.now() - started;
    // Connected on a nominated pair (data may flow earlier, on the best valid pair: RFC 8445 §12.1).
    await poll(
      'our agent connected on a selected pair',
      () => /^(connected|completed)$/.test(agent.state) && agent.selectedPair !== undefined,
      20_000,
      diagnostics,
    );
    const states = await page.evaluate(() => window.iceStates, undefined);
    const browserCandidates = await page.evaluate(() => window.localCandidates, undefined);
    const pair = agent.selectedPair;
    const counters = agent.counters;
    console.log(
      `[${browserName} ${room}] ${states.join('>')} after ${elapsed} ms; our agent ${agent.state} ` +
        `(${agent.role}) on ${pair?.local.candidate.address} -> ${pair?.remote.address} ` +
        `(${pair?.remote.candidate.type}); the browser offered ${browserCandidates.length} candidates`,
    );
    assert.equal(agent.role, role);
    assert.ok(pair, 'our agent selected a pair');
    // Malformed STUN from the network is dropped and counted; the session carries on.
    await sendGarbage(pair.local.candidate.address, pair.local.candidate.port);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(counters.malformedStun, garbage.length);
    assert.match(agent.state, /^(connected|completed)$/);
    assert.match(
      await page.evaluate(() => window.pc.iceConnectionState, undefined),
      /^(connected|completed)$/,
    );
    assert.equal(browserCandidates.filter((c) => / [0-9a-f-]+\.local /.test(c)).length, 0);
  } finally {
    peer?.close();
  }
}
