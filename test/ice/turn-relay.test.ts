/**
 * Two of our agents with a relay-only policy (W3C iceTransportPolicy 'relay') connect through a TURN relay:
 * our TURN server over UDP, TCP and TLS, and coturn's turnserver started by the test. Real loopback sockets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { IceAgent, type IceServer } from '../../src/ice/index.ts';
import { startTurnServer } from '../../src/turn/index.ts';
import { makeTestCertificate } from '../support/certificate.ts';
import { coturnCredentials, startCoturn } from '../support/coturn.ts';
import { findProgram } from '../support/external.ts';
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

/** Connects two relay-only agents through `iceServers` and checks that data flows over the relays. */
async function connectThroughRelay(label: string, iceServers: IceServer[], turnTls?: ConnectionOptions) {
  const make = (role: 'controlling' | 'controlled') =>
    new IceAgent({
      role,
      iceServers,
      iceTransportPolicy: 'relay',
      ...(turnTls ? { turnTls } : {}),
      transport: new LoopbackIceTransport(),
    });
  const a = make('controlling');
  const b = make('controlled');
  try {
    a.on('candidate', (c) => b.addRemoteCandidate(c));
    b.on('candidate', (c) => a.addRemoteCandidate(c));
    a.setRemoteParameters(b.localParameters);
    b.setRemoteParameters(a.localParameters);
    const started = Date.now();
    await Promise.all([a.gather(), b.gather()]);
    assert.ok(a.localCandidates.length > 0, `${label}: a relayed candidate was allocated`);
    assert.deepEqual(
      new Set([...a.localCandidates, ...b.localCandidates].map((c) => c.type)),
      new Set(['relay']),
    );
    // Connected on a nominated pair (data may flow earlier, on the best valid pair).
    const selected = (agent: IceAgent) =>
      (agent.state === 'connected' || agent.state === 'completed') && agent.selectedPair !== undefined;
    await waitFor(`${label}: both agents selected a pair`, () => selected(a) && selected(b), 15_000);
    const pair = a.selectedPair!;
    console.log(
      `[${label}] relay-only agents ${a.state}/${b.state} in ${Date.now() - started} ms: ` +
        `${pair.local.candidate.address}:${pair.local.candidate.port} -> ${pair.remote.address}:${pair.remote.candidate.port}`,
    );
    assert.equal(pair.local.candidate.type, 'relay');
    const received: number[] = [];
    b.on('data', (data) => received.push(data[1]!));
    for (let i = 0; i < 3; i++) assert.ok(a.send(new Uint8Array([0x80, i])));
    await waitFor(`${label}: data through the relay`, () => received.length === 3, 5000);
    assert.deepEqual(received, [0, 1, 2]);
  } finally {
    a.close();
    b.close();
  }
}

test('relay-only agents connect through our TURN server over UDP, TCP and TLS', async (t) => {
  const certificate = makeTestCertificate(t);
  if (!certificate) return;
  const cert = certificate.cert;
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    staticUsers: new Map([['alice', 'wonderland']]),
    allowLoopbackPeers: true,
    tls: { port: 0, cert, key: certificate.key },
  });
  t.after(() => server.close());
  const credentials = { username: 'alice', credential: 'wonderland' };
  await connectThroughRelay('our TURN, UDP', [{ urls: `turn:127.0.0.1:${server.udp.port}`, ...credentials }]);
  await connectThroughRelay('our TURN, TCP', [
    { urls: `turn:127.0.0.1:${server.tcp!.port}?transport=tcp`, ...credentials },
  ]);
  await connectThroughRelay(
    'our TURN, TLS',
    [{ urls: `turns:127.0.0.1:${server.tls!.port}`, ...credentials }],
    {
      ca: cert,
      servername: 'localhost',
    },
  );
  // Wrong credentials give no relayed candidate, and gathering still completes.
  const refused = new IceAgent({
    iceServers: [{ urls: `turn:127.0.0.1:${server.udp.port}`, username: 'alice', credential: 'wrong' }],
    iceTransportPolicy: 'relay',
    transport: new LoopbackIceTransport(),
  });
  await refused.gather();
  assert.deepEqual(refused.localCandidates, []);
  refused.close();
  await waitFor('allocations deleted on close', () => server.allocationCount === 0, 5000);
});

test('relay-only agents connect through coturn started by the test', async (t) => {
  const turnserver = findProgram(t, 'turnserver', ['/usr/bin/turnserver']);
  if (!turnserver) return;
  const port = await startCoturn(t, turnserver, { min: 41000, max: 41999 });
  await connectThroughRelay('coturn, UDP', [{ urls: `turn:127.0.0.1:${port}`, ...coturnCredentials }]);
  await connectThroughRelay('coturn, TCP', [
    { urls: `turn:127.0.0.1:${port}?transport=tcp`, ...coturnCredentials },
  ]);
});
