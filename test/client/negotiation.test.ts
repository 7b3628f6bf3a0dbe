import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DyadCall } from '../../src/client/index.ts';
import { VirtualClock } from '../../src/util/index.ts';
import { FakePeerConnection, FakeRelay, type FakeTrack, runFor } from './fakes.ts';

const url = 'ws://127.0.0.1:1/WebRTCAppEE/websocket';

function track(id: string): MediaStreamTrack {
  return { id, kind: 'video' } satisfies FakeTrack as unknown as MediaStreamTrack;
}

async function twoPeers(latencyMs = 5) {
  const clock = new VirtualClock();
  const relay = new FakeRelay(clock, latencyMs);
  const make = (name: string) => {
    const { WebSocket } = relay.webSocketClass();
    const stream = { getTracks: () => [track(`${name}-camera`)] } as unknown as MediaStream;
    return new DyadCall(url, 'r1', {
      WebSocket,
      RTCPeerConnection: FakePeerConnection.asConstructor(),
      clock,
      random: () => 0.5,
      localStream: stream,
    });
  };
  const alice = make('alice');
  const aliceJoined = alice.join();
  await runFor(clock, 50);
  await aliceJoined;
  const bob = make('bob');
  const bobJoined = bob.join();
  await runFor(clock, 100);
  await bobJoined;
  const pcOf = (call: DyadCall) => call.peerConnection as unknown as FakePeerConnection;
  return { clock, relay, alice, bob, pcOf };
}

beforeEach(() => {
  FakePeerConnection.instances = [];
});

describe('perfect negotiation over takeConfiguration', () => {
  it('the waiting peer gets start and offers; the newcomer answers', async () => {
    const { alice, bob, pcOf } = await twoPeers();
    assert.equal(alice.polite, false);
    assert.equal(bob.polite, true);
    // The fake's answers carry nothing new, so Bob offers his camera himself once stable.
    assert.deepEqual(pcOf(alice).log, [
      'setLocal:offer',
      'setRemote:answer',
      'setRemote:offer',
      'setLocal:answer',
    ]);
    // The polite peer applies its own offer only when the answer arrives.
    assert.deepEqual(pcOf(bob).log, [
      'setRemote:offer',
      'setLocal:answer',
      'createOffer',
      'setLocal:offer',
      'setRemote:answer',
    ]);
    assert.deepEqual(pcOf(alice).remoteTracks, ['bob-camera']);
    assert.deepEqual(pcOf(bob).remoteTracks, ['alice-camera']);
    for (const call of [alice, bob]) {
      assert.equal(pcOf(call).signalingState, 'stable');
      assert.equal(pcOf(call).localTracksNegotiated, true);
    }
    alice.leave();
    bob.leave();
  });

  it('glare: both add a track at once; the polite peer yields and both converge without rollback', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    const aliceLog = pcOf(alice).log.length;
    const bobLog = pcOf(bob).log.length;
    alice.addTrack(track('alice-screen'));
    bob.addTrack(track('bob-screen'));
    await runFor(clock, 200);
    // Both offered. Alice (impolite) ignored Bob's offer; Bob dropped his unapplied offer, answered
    // Alice's, then offered his screen again once stable.
    assert.deepEqual(pcOf(alice).log.slice(aliceLog), [
      'setLocal:offer',
      'setRemote:answer',
      'setRemote:offer',
      'setLocal:answer',
    ]);
    assert.deepEqual(pcOf(bob).log.slice(bobLog), [
      'createOffer',
      'setRemote:offer',
      'setLocal:answer',
      'createOffer',
      'setLocal:offer',
      'setRemote:answer',
    ]);
    assert.equal(pcOf(bob).rollbacks + pcOf(alice).rollbacks, 0);
    assert.deepEqual(pcOf(alice).remoteTracks, ['bob-camera', 'bob-screen']);
    assert.deepEqual(pcOf(bob).remoteTracks, ['alice-camera', 'alice-screen']);
    for (const call of [alice, bob]) {
      assert.equal(pcOf(call).signalingState, 'stable');
      assert.equal(pcOf(call).localTracksNegotiated, true);
    }
    alice.leave();
    bob.leave();
  });

  it('the polite peer rolls back a local offer the application set itself, then answers', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    const bobPc = pcOf(bob);
    await bobPc.setLocalDescription();
    assert.equal(bobPc.signalingState, 'have-local-offer');
    alice.addTrack(track('alice-screen'));
    await runFor(clock, 100);
    assert.equal(bobPc.rollbacks, 1);
    assert.deepEqual(bobPc.remoteTracks, ['alice-camera', 'alice-screen']);
    assert.equal(bobPc.signalingState, 'stable');
    assert.equal(pcOf(alice).signalingState, 'stable');
    alice.leave();
    bob.leave();
  });

  it('glare repeated many times in a row still converges', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers(7);
    for (let round = 0; round < 20; round++) {
      alice.addTrack(track(`alice-${round}`));
      bob.addTrack(track(`bob-${round}`));
      await runFor(clock, round % 3 === 0 ? 3 : 40);
    }
    await runFor(clock, 1000);
    assert.equal(pcOf(alice).remoteTracks.length, 21);
    assert.equal(pcOf(bob).remoteTracks.length, 21);
    for (const call of [alice, bob]) {
      assert.equal(pcOf(call).signalingState, 'stable');
      assert.equal(pcOf(call).localTracksNegotiated, true);
    }
    alice.leave();
    bob.leave();
  });

  it('glare with candidates in flight: the ignored offer’s candidates raise no error', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    const errors: string[] = [];
    for (const call of [alice, bob]) call.addEventListener('error', (event) => errors.push(event.definition));
    alice.addTrack(track('alice-screen'));
    bob.addTrack(track('bob-screen'));
    await runFor(clock, 5);
    // Candidates after each offer: Alice adds Bob's against her current remote description (or drops
    // them silently while ignoring his offer).
    pcOf(bob).emitCandidate({ candidate: 'candidate:bob', sdpMLineIndex: 0, sdpMid: '0' });
    pcOf(alice).emitCandidate({ candidate: 'candidate:alice', sdpMLineIndex: 0, sdpMid: '0' });
    await runFor(clock, 200);
    assert.deepEqual(errors, []);
    assert.ok(pcOf(bob).addedCandidates.some((candidate) => candidate.candidate === 'candidate:alice'));
    assert.equal(pcOf(alice).signalingState, 'stable');
    assert.equal(pcOf(bob).signalingState, 'stable');
    alice.leave();
    bob.leave();
  });

  it('a failed ICE connection restarts ICE through a new offer', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    const bobGeneration = pcOf(bob).iceGeneration;
    pcOf(bob).setIceConnectionState('failed');
    await runFor(clock, 100);
    assert.equal(pcOf(bob).iceGeneration, bobGeneration + 1);
    assert.ok(pcOf(bob).log.includes('restartIce'));
    const lastOffer = pcOf(alice).remoteDescription?.sdp ?? '';
    assert.equal(JSON.parse(lastOffer).iceGeneration, 1, 'the polite side may restart too');
    assert.equal(pcOf(alice).signalingState, 'stable');
    alice.leave();
    bob.leave();
  });

  it('ICE disconnected past the grace period restarts ICE, impolite peer first; a short blip does not', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    // Alice received `start`, so she offers and is the impolite peer.
    const generations = () => [pcOf(alice).iceGeneration, pcOf(bob).iceGeneration];
    const before = generations();
    pcOf(alice).setIceConnectionState('disconnected');
    pcOf(bob).setIceConnectionState('disconnected');
    await runFor(clock, 3000);
    pcOf(alice).setIceConnectionState('connected');
    pcOf(bob).setIceConnectionState('connected');
    await runFor(clock, 10_000);
    assert.deepEqual(generations(), before, 'a 3 s outage heals without a restart');

    pcOf(alice).setIceConnectionState('disconnected');
    pcOf(bob).setIceConnectionState('disconnected');
    await runFor(clock, 3900);
    assert.equal(pcOf(alice).log.filter((entry) => entry === 'restartIce').length, 0);
    await runFor(clock, 200);
    assert.equal(pcOf(alice).log.filter((entry) => entry === 'restartIce').length, 1);
    assert.equal(pcOf(bob).log.filter((entry) => entry === 'restartIce').length, 0, 'the polite peer waits');
    // The restart offer, with Alice's new credentials, reached Bob and was answered.
    assert.equal(JSON.parse(pcOf(bob).remoteDescription?.sdp ?? '').iceGeneration, before[0]! + 1);
    pcOf(alice).setIceConnectionState('connected');
    pcOf(bob).setIceConnectionState('connected');
    await runFor(clock, 10_000);
    assert.equal(pcOf(bob).log.filter((entry) => entry === 'restartIce').length, 0);
    assert.equal(pcOf(alice).signalingState, 'stable');
    alice.leave();
    bob.leave();
  });

  it('replaceTrack swaps the sent track without renegotiation', async () => {
    const { clock, alice, bob, pcOf } = await twoPeers();
    const before = pcOf(alice).log.length;
    const camera = pcOf(alice).senders[0]?.track as unknown as MediaStreamTrack;
    await alice.replaceTrack(camera, track('alice-camera-2'));
    await runFor(clock, 50);
    assert.equal(pcOf(alice).senders[0]?.track?.id, 'alice-camera-2');
    assert.equal(pcOf(alice).log.length, before);
    alice.leave();
    bob.leave();
  });

  it('a leave stops the partner, which waits and calls the next peer', async () => {
    const { clock, relay, alice, bob, pcOf } = await twoPeers();
    const alicePc = pcOf(alice);
    bob.leave();
    await runFor(clock, 20);
    assert.equal(alicePc.closed, true);
    assert.equal(alice.peerConnection, undefined);
    const { WebSocket } = relay.webSocketClass();
    const carol = new DyadCall(url, 'r1', {
      WebSocket,
      RTCPeerConnection: FakePeerConnection.asConstructor(),
      clock,
    });
    const carolJoined = carol.join();
    await runFor(clock, 100);
    await carolJoined;
    assert.equal(alice.polite, false);
    assert.deepEqual(pcOf(carol).remoteTracks, ['alice-camera']);
    assert.equal(pcOf(carol).signalingState, 'stable');
    alice.leave();
    carol.leave();
  });

  it('survives a relay restart: both re-join and a fresh session converges', async () => {
    const { clock, relay, alice, bob, pcOf } = await twoPeers();
    const before = [pcOf(alice), pcOf(bob)];
    relay.restart();
    await runFor(clock, 2000);
    for (const call of [alice, bob]) {
      assert.equal(call.state, 'joined');
      assert.ok(!before.includes(pcOf(call)), 'a new peer connection');
      assert.equal(pcOf(call).signalingState, 'stable');
    }
    for (const old of before) assert.equal(old.closed, true);
    assert.deepEqual(pcOf(alice).remoteTracks, ['bob-camera']);
    assert.deepEqual(pcOf(bob).remoteTracks, ['alice-camera']);
    assert.notEqual(alice.polite, bob.polite);
    alice.leave();
    bob.leave();
  });
});
