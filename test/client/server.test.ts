/**
 * The SDK in Node (npm `ws` as its WebSocket) against the real signaling server, with fake peer connections:
 * the protocol round trip without a browser, including room_full and a server restart on the same port.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type DyadCall, type JoinOptions, joinRoom } from '../../src/client/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { FakePeerConnection, type FakeTrack } from './fakes.ts';

function camera(id: string): MediaStream {
  const track: FakeTrack = { id, kind: 'video' };
  return { getTracks: () => [track] } as unknown as MediaStream;
}

function options(name: string): JoinOptions {
  return {
    WebSocket,
    RTCPeerConnection: FakePeerConnection.asConstructor(),
    localStream: camera(`${name}-camera`),
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pcOf = (call: DyadCall) => call.peerConnection as unknown as FakePeerConnection | undefined;
const converged = (...calls: DyadCall[]) =>
  calls.every(
    (call) => pcOf(call)?.signalingState === 'stable' && pcOf(call)?.localTracksNegotiated === true,
  );

beforeEach(() => {
  FakePeerConnection.instances = [];
});

describe('DyadCall in Node against dyad serve', () => {
  it('negotiates through the server, relays candidates and peer messages, refuses a third peer', async (t) => {
    const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const alice = await joinRoom(server.wsUrl(), 'node-room', options('alice'));
    const bob = await joinRoom(server.wsUrl(), 'node-room', options('bob'));
    t.after(() => {
      alice.leave();
      bob.leave();
    });
    await until(() => converged(alice, bob), 'negotiation');
    assert.equal(alice.polite, false);
    assert.deepEqual(pcOf(alice)?.remoteTracks, ['bob-camera']);
    assert.deepEqual(pcOf(bob)?.remoteTracks, ['alice-camera']);
    // The server answered getIceServerConfig; with no STUN/TURN configured that means no ICE servers.
    assert.deepEqual(pcOf(alice)?.configuration?.iceServers, []);

    pcOf(alice)?.emitCandidate({
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host',
      sdpMLineIndex: 0,
      sdpMid: '0',
    });
    await until(() => (pcOf(bob)?.addedCandidates.length ?? 0) === 1, 'candidate relay');
    assert.deepEqual(pcOf(bob)?.addedCandidates[0], {
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host',
      sdpMLineIndex: 0,
      sdpMid: '0',
    });

    const messages: unknown[] = [];
    bob.addEventListener('peermessage', (event) => messages.push([event.definition, event.data]));
    alice.sendPeerMessage('chat', { text: 'hello' });
    await until(() => messages.length === 1, 'peer message');
    assert.deepEqual(messages, [['chat', { text: 'hello' }]]);

    await assert.rejects(joinRoom(server.wsUrl(), 'node-room', options('carol')), /room_full/);
    assert.equal(pcOf(alice)?.signalingState, 'stable', 'the call is undisturbed');

    const aliceLeft = new Promise((resolve) => alice.addEventListener('peerleft', resolve, { once: true }));
    bob.leave();
    await aliceLeft;
    assert.equal(alice.peerConnection, undefined);
    assert.equal(alice.state, 'joined');
  });

  it('re-joins after a server restart on the same port and negotiates a fresh session', async (t) => {
    let server: RunningServer = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    t.after(() => server.close());
    const alice = await joinRoom(server.wsUrl(), 'node-restart', options('alice'));
    const bob = await joinRoom(server.wsUrl(), 'node-restart', options('bob'));
    t.after(() => {
      alice.leave();
      bob.leave();
    });
    await until(() => converged(alice, bob), 'first negotiation');
    const before = [pcOf(alice), pcOf(bob)];
    const reconnecting: number[] = [];
    for (const call of [alice, bob])
      call.addEventListener('reconnecting', (event) => reconnecting.push(event.delayMs));
    const { port } = server;
    await server.close();
    server = await startServer({ host: '127.0.0.1', port, logLevel: 'silent' });
    await until(
      () => converged(alice, bob) && !before.includes(pcOf(alice)) && !before.includes(pcOf(bob)),
      'a fresh session after the restart',
    );
    assert.ok(reconnecting.length >= 2);
    assert.ok(reconnecting.every((delay) => delay >= 25 && delay <= 400));
    assert.equal(alice.state, 'joined');
    assert.equal(bob.state, 'joined');
    assert.deepEqual(pcOf(alice)?.remoteTracks, ['bob-camera']);
    for (const old of before) assert.equal(old?.closed, true);
  });
});
