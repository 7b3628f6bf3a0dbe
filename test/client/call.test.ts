import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  type CallErrorEvent,
  type CallPeerMessageEvent,
  type CallReconnectingEvent,
  DyadCall,
  type JoinOptions,
} from '../../src/client/index.ts';
import { VirtualClock } from '../../src/util/index.ts';
import {
  FakePeerConnection,
  type FakeTrack,
  type FakeWebSocket,
  fakeWebSocketClass,
  flushMicrotasks,
} from './fakes.ts';

const url = 'ws://127.0.0.1:1/WebRTCAppEE/websocket';

function setup(options: JoinOptions = {}) {
  const clock = new VirtualClock();
  const { WebSocket, sockets } = fakeWebSocketClass();
  const events: string[] = [];
  const call = new DyadCall(url, 'r1', {
    WebSocket,
    RTCPeerConnection: FakePeerConnection.asConstructor(),
    clock,
    random: () => 0,
    ...options,
  });
  for (const type of ['joined', 'peerjoined', 'peerleft', 'closed', 'reconnecting', 'error']) {
    call.addEventListener(type, (event) => {
      const detail = (event as CallErrorEvent).definition ?? (event as CallReconnectingEvent).delayMs;
      events.push(detail === undefined ? type : `${type}:${detail}`);
    });
  }
  const socket = () => sockets.at(-1) as FakeWebSocket;
  const pc = () => FakePeerConnection.instances.at(-1) as FakePeerConnection;
  return { clock, sockets, socket, pc, call, events };
}

async function joined(ctx: ReturnType<typeof setup>): Promise<void> {
  const joining = ctx.call.join();
  ctx.socket().open();
  ctx.socket().deliver({ command: 'notification', definition: 'joined', streamId: 'r1' });
  await joining;
}

const offer = (sdp: object) => ({
  command: 'takeConfiguration',
  streamId: 'r1',
  type: 'offer',
  sdp: JSON.stringify(sdp),
});
const fakeOffer = { fake: true, tracks: ['remote-video'], channels: [], iceGeneration: 0, version: 1 };

beforeEach(() => {
  FakePeerConnection.instances = [];
});

describe('DyadCall signaling flows', () => {
  it('opens with getIceServerConfig and join, then pings every 3 s', async () => {
    const ctx = setup({ token: 'tok' });
    await joined(ctx);
    assert.equal(ctx.socket().url, url);
    assert.deepEqual(ctx.socket().messages(), [
      { command: 'getIceServerConfig' },
      { command: 'join', streamId: 'r1', mode: 'both', multiPeer: false, token: 'tok' },
    ]);
    assert.equal(ctx.call.state, 'joined');
    ctx.clock.advance(2999);
    assert.equal(
      ctx
        .socket()
        .commands()
        .filter((c) => c === 'ping').length,
      0,
    );
    for (let second = 1; second <= 3; second++) {
      ctx.socket().deliver({ command: 'pong' });
      ctx.clock.advance(3000);
    }
    assert.equal(
      ctx
        .socket()
        .commands()
        .filter((c) => c === 'ping').length,
      3,
    );
    assert.deepEqual(ctx.events, ['joined']);
    ctx.call.leave();
  });

  it('a suspended page does not take its own pause for a dead socket; real silence still counts', async () => {
    const ctx = setup();
    await joined(ctx);
    ctx.clock.advance(3000);
    ctx.socket().deliver({ command: 'pong' });
    const pings = () =>
      ctx
        .socket()
        .commands()
        .filter((c) => c === 'ping').length;
    const before = pings();
    // 20 s asleep: the ping timer fires 17 s late, before the pongs waiting in the socket are read.
    ctx.clock.suspend(20_000);
    ctx.clock.advance(0);
    assert.equal(ctx.call.state, 'joined');
    assert.equal(pings(), before + 1, 'it pings instead of reconnecting');
    // No answer at all from here on: the socket is given up within the silence limit (10 s).
    ctx.clock.advance(12_000);
    assert.equal(ctx.call.state, 'reconnecting');
    ctx.call.leave();
  });

  it('does not ask for the ICE configuration when ICE servers are given', async () => {
    const ctx = setup({ iceServers: [{ urls: 'stun:127.0.0.1:1' }] });
    await joined(ctx);
    assert.deepEqual(ctx.socket().commands(), ['join']);
    ctx.socket().deliver({ command: 'iceServerConfig', stunServerUri: 'stun:10.0.0.1:3478' });
    ctx.socket().deliver({ command: 'start', streamId: 'r1' });
    assert.deepEqual(ctx.pc().configuration?.iceServers, [{ urls: 'stun:127.0.0.1:1' }]);
    ctx.call.leave();
  });

  it('becomes the offerer on start, with the server TURN configuration, local tracks and channels', async () => {
    const video: FakeTrack = { id: 'local-video', kind: 'video' };
    const stream = { getTracks: () => [video] } as unknown as MediaStream;
    const channels: Array<{ offerer: boolean }> = [];
    const ctx = setup({
      localStream: stream,
      createDataChannels: (pc, session) => {
        channels.push(session);
        pc.createDataChannel('chat');
      },
    });
    await joined(ctx);
    ctx.socket().deliver({
      command: 'iceServerConfig',
      stunServerUri: 'turn:127.0.0.1:3478',
      turnServerUsername: 'alice',
      turnServerCredential: 'secret',
    });
    ctx.socket().deliver({ command: 'start', streamId: 'r1' });
    const pc = ctx.pc();
    assert.deepEqual(pc.configuration?.iceServers, [
      { urls: 'turn:127.0.0.1:3478', username: 'alice', credential: 'secret' },
    ]);
    assert.equal(ctx.call.peerConnection, pc as unknown as RTCPeerConnection);
    assert.equal(ctx.call.polite, false);
    assert.deepEqual(channels, [{ offerer: true }]);
    await flushMicrotasks();
    const sentOffers = ctx
      .socket()
      .messages()
      .filter((m) => m.command === 'takeConfiguration');
    assert.equal(sentOffers.length, 1, 'one offer, even though negotiationneeded fired too');
    assert.equal(sentOffers[0]?.type, 'offer');
    assert.deepEqual(JSON.parse(String(sentOffers[0]?.sdp)).tracks, ['local-video']);
    assert.deepEqual(JSON.parse(String(sentOffers[0]?.sdp)).channels, ['chat']);

    // Remote candidates that overtake the answer wait for it, then are added in order.
    ctx
      .socket()
      .deliver({ command: 'takeCandidate', streamId: 'r1', label: 0, id: '0', candidate: 'candidate:a' });
    ctx
      .socket()
      .deliver({ command: 'takeCandidate', streamId: 'r1', label: 1, id: null, candidate: 'candidate:b' });
    await flushMicrotasks();
    assert.deepEqual(pc.addedCandidates, []);
    ctx
      .socket()
      .deliver({ command: 'takeConfiguration', streamId: 'r1', type: 'answer', sdp: '{}', idMapping: {} });
    await flushMicrotasks();
    assert.equal(pc.signalingState, 'stable');
    assert.deepEqual(pc.addedCandidates, [
      { candidate: 'candidate:a', sdpMLineIndex: 0, sdpMid: '0' },
      { candidate: 'candidate:b', sdpMLineIndex: 1, sdpMid: null },
    ]);
    ctx
      .socket()
      .deliver({ command: 'takeCandidate', streamId: 'r1', label: 0, id: '0', candidate: 'candidate:c' });
    await flushMicrotasks();
    assert.equal(pc.addedCandidates.length, 3);

    // Local candidates trickle with label = sdpMLineIndex and id = sdpMid; end-of-candidates is not sent.
    pc.emitCandidate({
      candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
      sdpMLineIndex: 1,
      sdpMid: 'v',
    });
    pc.emitCandidate(null);
    assert.deepEqual(ctx.socket().messages().at(-1), {
      command: 'takeCandidate',
      streamId: 'r1',
      label: 1,
      id: 'v',
      candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
    });
    assert.deepEqual(ctx.events, ['joined', 'peerjoined']);
    ctx.call.leave();
  });

  it('answers a first offer as the polite peer, and tears down on stop', async () => {
    const ctx = setup();
    const tracks: string[] = [];
    ctx.call.addEventListener('track', (event) => tracks.push(event.track.id));
    await joined(ctx);
    ctx.socket().deliver(offer(fakeOffer));
    await flushMicrotasks();
    const pc = ctx.pc();
    assert.equal(ctx.call.polite, true);
    assert.deepEqual(pc.log, ['setRemote:offer', 'setLocal:answer']);
    assert.deepEqual(tracks, ['remote-video']);
    const answer = ctx.socket().messages().at(-1);
    assert.equal(answer?.command, 'takeConfiguration');
    assert.equal(answer?.type, 'answer');
    assert.equal(answer?.streamId, 'r1');

    ctx.socket().deliver({ command: 'stop', streamId: 'r1' });
    assert.equal(pc.closed, true);
    assert.equal(ctx.call.peerConnection, undefined);
    assert.equal(ctx.call.state, 'joined', 'the call stays in the room, waiting for a peer');
    ctx.socket().deliver({ command: 'start', streamId: 'r1' });
    assert.notEqual(ctx.pc(), pc);
    assert.equal(ctx.call.polite, false);
    assert.deepEqual(ctx.events, ['joined', 'peerjoined', 'peerleft', 'peerjoined']);
    ctx.call.leave();
  });

  it('a track added from a peerjoined listener is sent once', async () => {
    const ctx = setup();
    await joined(ctx);
    const screen: FakeTrack = { id: 'screen', kind: 'video' };
    ctx.call.addEventListener('peerjoined', () => ctx.call.addTrack(screen as unknown as MediaStreamTrack));
    ctx.socket().deliver({ command: 'start', streamId: 'r1' });
    await flushMicrotasks();
    assert.deepEqual(
      ctx.pc().senders.map((sender) => sender.track?.id),
      ['screen'],
    );
    ctx.call.leave();
  });

  it('ignores malformed frames and messages for another room', async () => {
    const ctx = setup();
    await joined(ctx);
    for (const frame of ['garbage', '{"command":"start"}', '{"command":"start","streamId":"other"}', '[]']) {
      ctx.socket().deliver(frame);
    }
    ctx.socket().deliver({ command: 'takeCandidate', streamId: 'r1', label: 'x', candidate: 'c' });
    assert.equal(FakePeerConnection.instances.length, 0);
    assert.equal(ctx.call.state, 'joined');
    assert.deepEqual(ctx.events, ['joined']);
    ctx.call.leave();
  });

  it('relays peer messages and surfaces server errors without leaving', async () => {
    const ctx = setup();
    await joined(ctx);
    const received: Array<[string | undefined, unknown]> = [];
    ctx.call.addEventListener('peermessage', (event: CallPeerMessageEvent) =>
      received.push([event.definition, event.data]),
    );
    ctx.call.sendPeerMessage('chat', { text: 'hi' });
    assert.deepEqual(ctx.socket().messages().at(-1), {
      command: 'peerMessageCommand',
      streamId: 'r1',
      definition: 'chat',
      data: { text: 'hi' },
    });
    ctx.socket().deliver({ command: 'peerMessageCommand', streamId: 'r1', definition: 'chat', data: [1, 2] });
    ctx.socket().deliver({ command: 'error', definition: 'no_peer_associated_before', streamId: 'r1' });
    assert.deepEqual(received, [['chat', [1, 2]]]);
    assert.equal(ctx.call.state, 'joined');
    assert.deepEqual(ctx.events, ['joined', 'error:no_peer_associated_before']);
    ctx.call.leave();
  });

  it('rejects the join when the room is full', async () => {
    const ctx = setup();
    const joining = ctx.call.join();
    ctx.socket().open();
    ctx.socket().deliver({ command: 'error', definition: 'room_full', streamId: 'r1' });
    await assert.rejects(joining, /room_full/);
    assert.equal(ctx.call.state, 'closed');
    assert.equal(ctx.socket().closedByClient, true);
    assert.deepEqual(ctx.events, ['error:room_full', 'closed']);
  });

  it('rejects the join when the first connection fails, and refuses bad room names', async () => {
    const ctx = setup();
    const joining = ctx.call.join();
    ctx.socket().drop();
    await assert.rejects(joining, /signaling connection lost/);
    assert.equal(ctx.sockets.length, 1, 'no reconnection before the first join');
    assert.throws(() => new DyadCall(url, 'bad room!'), RangeError);
  });

  it('gives up on a connection that never opens', async () => {
    const ctx = setup();
    const joining = ctx.call.join();
    ctx.clock.advance(9999);
    assert.equal(ctx.call.state, 'connecting');
    ctx.clock.advance(1);
    await assert.rejects(joining, /signaling connection lost/);
    assert.equal(ctx.socket().closedByClient, true);
  });

  it('leave() sends leave, closes the peer connection and never reconnects', async () => {
    const ctx = setup();
    await joined(ctx);
    ctx.socket().deliver({ command: 'start', streamId: 'r1' });
    ctx.call.leave();
    assert.deepEqual(ctx.socket().messages().at(-1), { command: 'leave', streamId: 'r1' });
    assert.equal(ctx.pc().closed, true);
    assert.equal(ctx.socket().closedByClient, true);
    ctx.clock.runAll();
    assert.equal(ctx.sockets.length, 1);
    assert.equal(ctx.clock.pendingTimers, 0);
    assert.deepEqual(ctx.events, ['joined', 'peerjoined', 'peerleft', 'closed']);
  });
});

describe('DyadCall reconnection', () => {
  it('reconnects with capped exponential backoff and re-joins', async () => {
    const ctx = setup({ reconnect: { initialDelayMs: 500, maxDelayMs: 4000, multiplier: 2, jitter: 0.5 } });
    await joined(ctx);
    const attemptTimes: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const count = ctx.sockets.length;
      ctx.socket().drop();
      while (ctx.sockets.length === count) ctx.clock.advance(1);
      attemptTimes.push(ctx.clock.now());
    }
    // random() = 0: the full delay 500, 1000, 2000, 4000, then capped at 4000.
    const gaps = attemptTimes.map((time, index) => time - (index === 0 ? 0 : (attemptTimes[index - 1] ?? 0)));
    assert.deepEqual(gaps, [500, 1000, 2000, 4000, 4000, 4000]);
    assert.deepEqual(
      ctx.events.filter((event) => event.startsWith('reconnecting')),
      [
        'reconnecting:500',
        'reconnecting:1000',
        'reconnecting:2000',
        'reconnecting:4000',
        'reconnecting:4000',
        'reconnecting:4000',
      ],
    );
    assert.equal(ctx.call.state, 'reconnecting');

    // The re-join resets the backoff.
    ctx.socket().open();
    assert.deepEqual(ctx.socket().commands(), ['getIceServerConfig', 'join']);
    ctx.socket().deliver({ command: 'notification', definition: 'joined', streamId: 'r1' });
    assert.equal(ctx.call.state, 'joined');
    ctx.socket().drop();
    assert.equal(ctx.events.at(-1), 'reconnecting:500');
    ctx.call.leave();
    assert.equal(ctx.clock.pendingTimers, 0);
  });

  it('treats a silent socket as dropped', async () => {
    const ctx = setup();
    await joined(ctx);
    ctx.clock.advance(9000);
    assert.equal(ctx.sockets.length, 1);
    ctx.clock.advance(3000);
    assert.equal(ctx.socket().closedByClient, true);
    assert.ok(ctx.events.includes('reconnecting:500'));
    ctx.clock.advance(500);
    assert.equal(ctx.sockets.length, 2);
    ctx.call.leave();
  });

  it('keeps the old session during the outage and replaces it after the re-join', async () => {
    const ctx = setup();
    await joined(ctx);
    ctx.socket().deliver(offer(fakeOffer));
    await flushMicrotasks();
    const first = ctx.pc();
    ctx.socket().deliver({ command: 'notification', definition: 'server_will_stop' });
    assert.equal(first.closed, false, 'media keeps flowing peer to peer while signaling is down');
    assert.equal(ctx.call.state, 'reconnecting');
    ctx.clock.advance(500);
    ctx.socket().open();
    ctx.socket().deliver({ command: 'notification', definition: 'joined', streamId: 'r1' });
    assert.equal(first.closed, false);
    ctx.socket().deliver(offer({ ...fakeOffer, version: 9 }));
    await flushMicrotasks();
    assert.equal(first.closed, true);
    assert.notEqual(ctx.pc(), first);
    assert.deepEqual(ctx.pc().log, ['setRemote:offer', 'setLocal:answer']);
    // A later offer renegotiates the new session instead of replacing it.
    const second = ctx.pc();
    ctx.socket().deliver(offer({ ...fakeOffer, version: 10 }));
    await flushMicrotasks();
    assert.equal(ctx.pc(), second);
    assert.deepEqual(ctx.events, [
      'joined',
      'peerjoined',
      'reconnecting:500',
      'joined',
      'peerleft',
      'peerjoined',
    ]);
    ctx.call.leave();
  });

  it('retries a re-join refused with room_full, but not a first join', async () => {
    const ctx = setup();
    await joined(ctx);
    ctx.socket().drop();
    ctx.clock.advance(500);
    ctx.socket().open();
    ctx.socket().deliver({ command: 'error', definition: 'room_full', streamId: 'r1' });
    assert.equal(ctx.call.state, 'reconnecting');
    ctx.clock.advance(1000);
    assert.equal(ctx.sockets.length, 3);
    ctx.call.leave();
  });
});
