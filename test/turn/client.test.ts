// Our TURN client (the ICE agent's) against our server over UDP, TCP and TLS, in virtual time for nonces and
// refreshes, and against coturn's turnserver.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import type { TransportAddress } from '../../src/stun/index.ts';
import {
  connectTurnTransport,
  createTurnRestCredentials,
  startTurnServer,
  TurnClient,
  TurnRequestError,
  type TurnServerAddress,
} from '../../src/turn/index.ts';
import { type Clock, systemClock, VirtualClock } from '../../src/util/index.ts';
import { makeTestCertificate } from '../support/certificate.ts';
import { coturnCredentials, startCoturn } from '../support/coturn.ts';
import { findProgram } from '../support/external.ts';

const secret = 'client-test-secret';

async function client(
  t: TestContext,
  server: TurnServerAddress,
  username: string,
  password: string,
  clock: Clock = systemClock,
) {
  const turn = new TurnClient({ transport: await connectTurnTransport(server), clock, username, password });
  // In virtual time a close() whose Refresh goes unanswered would wait forever: those tests close themselves.
  if (clock === systemClock) t.after(() => turn.close());
  return turn;
}

function nextData(turn: TurnClient): Promise<{ data: Uint8Array; peer: TransportAddress }> {
  return new Promise((resolve) => {
    turn.onData = (data, peer) => resolve({ data: new Uint8Array(data), peer });
  });
}

/** Two clients relay to each other: A over a channel, B with Send indications (so A gets Data indications). */
async function exchange(a: TurnClient, b: TurnClient): Promise<void> {
  const relayA = (await a.allocate()).relayed;
  const relayB = (await b.allocate()).relayed;
  assert.equal(await a.bindChannel(relayB), 0x4000);
  await b.createPermission([relayA]);
  const atB = nextData(b);
  a.send(relayB, Uint8Array.of(1, 2, 3, 4, 5));
  assert.deepEqual(await atB, { data: Uint8Array.of(1, 2, 3, 4, 5), peer: relayA });
  const atA = nextData(a);
  b.send(relayA, Uint8Array.of(9, 8, 7));
  assert.deepEqual(await atA, { data: Uint8Array.of(9, 8, 7), peer: relayB });
}

test('TurnClient through our server over UDP, TCP and TLS, long-term and REST credentials', async (t) => {
  const certificate = makeTestCertificate(t);
  if (!certificate) return;
  const cert = certificate.cert;
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    authSecret: secret,
    staticUsers: new Map([['alice', 'wonderland']]),
    allowLoopbackPeers: true,
    tls: { port: 0, cert, key: certificate.key },
  });
  t.after(() => server.close());
  const rest = createTurnRestCredentials(secret, 'bob', 600);
  const endpoints: TurnServerAddress[] = [
    { host: '127.0.0.1', port: server.udp.port, protocol: 'udp' },
    { host: '127.0.0.1', port: server.tcp?.port as number, protocol: 'tcp' },
    {
      host: '127.0.0.1',
      port: server.tls?.port as number,
      protocol: 'tls',
      tls: { ca: cert, servername: 'localhost' },
    },
  ];
  for (const endpoint of endpoints) {
    const a = await client(t, endpoint, 'alice', 'wonderland');
    const b = await client(t, endpoint, rest.username, rest.password);
    await exchange(a, b);
    await assert.rejects(
      a.createPermission([{ family: 'IPv4', address: '10.0.0.1', port: 1 }]),
      (error: unknown) => error instanceof TurnRequestError && error.code === 403,
    );
    await a.close();
    await b.close();
  }
  const wrong = await client(t, endpoints[0] as TurnServerAddress, 'alice', 'not-the-password');
  await assert.rejects(
    wrong.allocate(),
    (error: unknown) => error instanceof TurnRequestError && error.code === 401,
  );
  for (let i = 0; i < 50 && server.allocationCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.allocationCount, 0, 'close() deleted every allocation');
});

test('stale nonces (438) are answered and refreshes keep the allocation alive, in virtual time', async (t) => {
  const clock = new VirtualClock();
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    tcp: false,
    realm: 'dyad.test',
    staticUsers: new Map([['alice', 'wonderland']]),
    allowLoopbackPeers: true,
    nonceLifetimeSeconds: 60,
    clock,
  });
  t.after(() => server.close());
  const endpoint: TurnServerAddress = { host: '127.0.0.1', port: server.udp.port, protocol: 'udp' };
  const turn = await client(t, endpoint, 'alice', 'wonderland', clock);
  const peer = createSocket('udp4');
  t.after(() => peer.close());
  await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
  const allocation = await turn.allocate();
  assert.equal(allocation.lifetimeSeconds, 600);
  clock.advance(61_000);
  // The nonce is stale now: the server answers 438 and the client retries with the new one.
  await turn.createPermission([{ family: 'IPv4', address: '127.0.0.1', port: peer.address().port }]);
  const arrived = new Promise<Buffer>((resolve) => peer.once('message', resolve));
  turn.send({ family: 'IPv4', address: '127.0.0.1', port: peer.address().port }, Uint8Array.of(42));
  assert.deepEqual([...(await arrived)], [42]);
  // The client refreshes at 540 s (a minute early); without it the server would drop the allocation at 600 s.
  const refreshed = new Promise<number>((resolve) => {
    const original = turn.refresh.bind(turn);
    turn.refresh = async (lifetime?: number) => {
      const granted = await original(lifetime);
      resolve(granted);
      return granted;
    };
  });
  clock.advance(480_000);
  assert.equal(await refreshed, 600);
  clock.advance(120_000);
  assert.equal(server.allocationCount, 1, 'refreshed before the server expired it');
  assert.equal(server.counters.authFailures, 0);
  await turn.close();
  assert.equal(server.allocationCount, 0);
});

test('TurnClient against coturn over UDP and TCP', async (t) => {
  const turnserver = findProgram(t, 'turnserver', ['/usr/bin/turnserver']);
  if (!turnserver) return;
  const port = await startCoturn(t, turnserver, { min: 40000, max: 40999 });
  for (const protocol of ['udp', 'tcp'] as const) {
    const endpoint: TurnServerAddress = { host: '127.0.0.1', port, protocol };
    const a = await client(t, endpoint, coturnCredentials.username, coturnCredentials.credential);
    const b = await client(t, endpoint, coturnCredentials.username, coturnCredentials.credential);
    await exchange(a, b);
    assert.equal(await a.refresh(600), 600);
    await a.close();
    await b.close();
  }
});
