/**
 * Issue 20, second bug: behind a firewall that drops outgoing UDP, the TURN-over-UDP allocation can only
 * time out (tens of seconds of retransmissions), while TURN over TCP succeeds at once. The TCP relay must
 * be offered and used as soon as it is allocated, not held back until the UDP attempt gives up. Here the
 * firewall is a UDP socket of the test that swallows everything sent to it; real loopback sockets.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { IceAgent, type IceCandidateError } from '../../src/ice/index.ts';
import type { IceCandidate } from '../../src/sdp/index.ts';
import { startTurnServer } from '../../src/turn/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';

function waitFor(what: string, condition: () => boolean, limitMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) resolve();
      else if (Date.now() - started > limitMs) reject(new Error(`${what}: not within ${limitMs} ms`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

test('a TURN-over-TCP relay is used at once while the TURN-over-UDP allocation is still unanswered', async (t) => {
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    staticUsers: new Map([['alice', 'wonderland']]),
    allowLoopbackPeers: true,
  });
  t.after(() => server.close());
  // The firewall: UDP to the TURN server's address goes nowhere.
  const blackHole = createSocket('udp4');
  blackHole.bind(0, '127.0.0.1');
  await once(blackHole, 'listening');
  t.after(() => blackHole.close());
  const credentials = { username: 'alice', credential: 'wonderland' };
  const behindFirewall = new IceAgent({
    role: 'controlling',
    iceServers: [
      {
        urls: [
          `turn:127.0.0.1:${blackHole.address().port}?transport=udp`,
          `turn:127.0.0.1:${server.tcp!.port}?transport=tcp`,
        ],
        ...credentials,
      },
    ],
    // Its host candidates could not reach anything through the firewall: only the relay is offered.
    iceTransportPolicy: 'relay',
    transport: new LoopbackIceTransport(),
  });
  const outside = new IceAgent({
    role: 'controlled',
    iceServers: [{ urls: `turn:127.0.0.1:${server.udp.port}`, ...credentials }],
    iceTransportPolicy: 'relay',
    transport: new LoopbackIceTransport(),
  });
  const candidates: (IceCandidate | undefined)[] = [];
  const errors: IceCandidateError[] = [];
  behindFirewall.on('candidate', (c) => {
    candidates.push(c);
    outside.addRemoteCandidate(c);
  });
  behindFirewall.on('candidateerror', (error) => errors.push(error));
  outside.on('candidate', (c) => behindFirewall.addRemoteCandidate(c));
  behindFirewall.setRemoteParameters(outside.localParameters);
  outside.setRemoteParameters(behindFirewall.localParameters);
  const started = Date.now();
  void behindFirewall.gather();
  void outside.gather();
  try {
    await waitFor('the TCP relay candidate', () => candidates.some((c) => c?.type === 'relay'), 5000);
    assert.equal(behindFirewall.gatheringState, 'gathering', 'the UDP allocation is still unanswered');
    const selected = (agent: IceAgent) =>
      (agent.state === 'connected' || agent.state === 'completed') && agent.selectedPair !== undefined;
    await waitFor('both agents selected a pair', () => selected(behindFirewall) && selected(outside), 10_000);
    const took = Date.now() - started;
    assert.ok(took < 10_000, `connected in ${took} ms`);
    assert.equal(behindFirewall.selectedPair?.local.candidate.type, 'relay');
    const received: number[] = [];
    outside.on('data', (data) => received.push(data[1]!));
    for (let i = 0; i < 3; i++) assert.ok(behindFirewall.send(new Uint8Array([0x80, i])));
    await waitFor('data through the TCP relay', () => received.length === 3, 5000);
    assert.deepEqual(received, [0, 1, 2]);
    assert.deepEqual(errors, [], 'the UDP attempt has not failed yet: it is only slow');
  } finally {
    // Closing abandons the unanswered UDP allocation and deletes the relays (before the server stops).
    behindFirewall.close();
    outside.close();
  }
  await waitFor('allocations deleted on close', () => server.allocationCount === 0, 5000);
});
