import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { defaultTurnOptions, startServer } from '../../src/server/index.ts';
import { InMemoryRoomBackend, type LocalRooms, mintRoomToken } from '../../src/signaling/index.ts';
import { connectTurnTransport, TurnClient } from '../../src/turn/index.ts';
import { systemClock } from '../../src/util/index.ts';
import { spawnDyadServe } from '../support/dyad-process.ts';
import { TestSignalingClient } from '../support/signaling-client.ts';

const quiet = { host: '127.0.0.1', port: 0, logLevel: 'silent' } as const;
const root = fileURLToPath(new URL('../..', import.meta.url));

/** `[[…[1]…]]` nested `depth` levels, as text (two bytes a level: 20,000 levels fit in the 64 KiB frame). */
function nestedJson(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

async function joinedPair(url: string, room: string): Promise<[TestSignalingClient, TestSignalingClient]> {
  const a = await TestSignalingClient.connect(url);
  const b = await TestSignalingClient.connect(url);
  a.send({ command: 'join', streamId: room });
  await a.next({ command: 'notification', definition: 'joined' });
  b.send({ command: 'join', streamId: room });
  await a.next({ command: 'start' });
  return [a, b];
}

test('dyad serve survives a relay nested 5,000 and 20,000 levels deep; the sender is told invalid_message', async (t) => {
  const dyad = await spawnDyadServe(['--no-turn']);
  t.after(() => dyad.stop());
  const [a, b] = await joinedPair(dyad.wsUrl, 'deep');
  for (const depth of [5_000, 20_000]) {
    // One field outside the relayed set, so the message is rebuilt (and serialized) for the partner.
    a.socket.send(`{"command":"peerMessageCommand","streamId":"deep","extra":1,"data":${nestedJson(depth)}}`);
    assert.deepEqual(await a.next({ command: 'error' }), {
      command: 'error',
      definition: 'invalid_message',
      streamId: 'deep',
    });
  }
  // Nesting within the limit (the frame is level 1, so data may take 31) is relayed as before.
  a.socket.send(`{"command":"peerMessageCommand","streamId":"deep","extra":1,"data":${nestedJson(31)}}`);
  const relayed = await b.next({ command: 'peerMessageCommand' });
  assert.equal(JSON.stringify(relayed.data), nestedJson(31));
  a.socket.send(`{"command":"peerMessageCommand","streamId":"deep","data":${nestedJson(32)}}`);
  await a.next({ command: 'error', definition: 'invalid_message' });
  assert.equal(dyad.child.exitCode, null, 'the process is still running');
  for (const client of [a, b]) client.close();
});

/** Rooms named "boom" make the backend throw while a relay is handled: a bug the boundary must contain. */
class ThrowingBackend extends InMemoryRoomBackend {
  // `declare`: a class field would be reset to undefined after super() defined it.
  declare readonly local: LocalRooms;

  constructor() {
    super();
    const rooms = this.local;
    this.local = {
      members: (room) => {
        if (room === 'boom') throw new TypeError('a handler bug');
        return rooms.members(room);
      },
      send: (peerId, message, text) => rooms.send(peerId, message, text),
    };
  }
}

test('a frame whose handling throws closes that socket with 1011, is counted, and nothing else is touched', async (t) => {
  const server = await startServer({ ...quiet, backend: new ThrowingBackend() });
  t.after(() => server.close());
  const [a, b] = await joinedPair(server.wsUrl(), 'boom');
  const [c, d] = await joinedPair(server.wsUrl(), 'calm');
  a.send({ command: 'peerMessageCommand', streamId: 'boom', data: 'x' });
  assert.equal((await a.closed).code, 1011);
  c.send({ command: 'peerMessageCommand', streamId: 'calm', data: 'still here' });
  assert.equal((await d.next({ command: 'peerMessageCommand' })).data, 'still here');
  b.send({ command: 'ping' });
  await b.next({ command: 'pong' });
  c.socket.send('{not json');
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /dyad_signaling_input_errors_total\{kind="handler"\} 1\b/);
  assert.match(metrics, /dyad_signaling_input_errors_total\{kind="invalid_json"\} 1\b/);
  for (const client of [b, c, d]) client.close();
});

test('room tokens have one spelling: a leading zero or a MAC that is not base64url is unauthorized', async (t) => {
  const secret = 'room-secret';
  const server = await startServer({ ...quiet, roomTokenSecret: secret });
  t.after(() => server.close());
  const client = await TestSignalingClient.connect(server.wsUrl());
  t.after(() => client.close());
  const valid = await mintRoomToken(secret, 'r', Math.floor(Date.now() / 1000) + 60);
  const [expiry, mac] = valid.split('.') as [string, string];
  for (const token of [`0${valid}`, `${expiry}.${mac}A`, `${expiry}.a`, `${expiry}.${mac.slice(0, -1)}=`]) {
    client.send({ command: 'join', streamId: 'r', token });
    assert.deepEqual(await client.next({ command: 'error' }), {
      command: 'error',
      definition: 'unauthorized',
      streamId: 'r',
    });
  }
  client.send({ command: 'join', streamId: 'r', token: valid });
  await client.next({ command: 'notification', definition: 'joined' });
});

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number | WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

test('one client address may hold maxSocketsPerAddress sockets; X-Forwarded-For counts only with trustProxy', async (t) => {
  for (const trustProxy of [false, true]) {
    const server = await startServer({ ...quiet, maxSocketsPerAddress: 3, trustProxy });
    t.after(() => server.close());
    const open: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      // The client's own claim first, the address the proxy appended last.
      const socket = await upgradeStatus(server.wsUrl(), {
        'x-forwarded-for': `198.51.100.${i}, 203.0.113.0`,
      });
      assert.ok(socket instanceof WebSocket, `socket ${i} opens`);
      open.push(socket);
    }
    // Three from one address: 127.0.0.1 without trustProxy, 203.0.113.0 with it.
    assert.equal(await upgradeStatus(server.wsUrl(), { 'x-forwarded-for': '203.0.113.0' }), 429);
    const other = await upgradeStatus(server.wsUrl(), { 'x-forwarded-for': '203.0.113.99' });
    if (trustProxy) {
      assert.ok(other instanceof WebSocket, 'another forwarded address still gets in');
      open.push(other);
    } else assert.equal(other, 429);
    // A closed socket frees its place.
    const first = open.shift() as WebSocket;
    first.close();
    await once(first, 'close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await upgradeStatus(server.wsUrl(), { 'x-forwarded-for': '203.0.113.0' });
    assert.ok(again instanceof WebSocket, 'a freed place is taken again');
    open.push(again);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /dyad_signaling_sockets_refused_total\{reason="address_limit"\} [12]\b/);
    for (const socket of open) socket.close();
  }
});

test('with a room secret, TURN credentials come only after a valid join and name the room and the peer', async (t) => {
  const secret = 'room-secret';
  const server = await startServer({
    ...quiet,
    roomTokenSecret: secret,
    turn: { ...defaultTurnOptions, host: '127.0.0.1', port: 0, revokeAfterLeaveSeconds: 0 },
  });
  t.after(() => server.close());
  const client = await TestSignalingClient.connect(server.wsUrl());
  client.send({ command: 'getIceServerConfig' });
  await client.nothing({ command: 'iceServerConfig' }, 300);
  client.send({ command: 'join', streamId: 'private', token: 'wrong' });
  await client.next({ command: 'error', definition: 'unauthorized' });
  await client.nothing({ command: 'iceServerConfig' }, 300);
  const token = await mintRoomToken(secret, 'private', Math.floor(Date.now() / 1000) + 60);
  client.send({ command: 'join', streamId: 'private', token });
  await client.next({ command: 'notification', definition: 'joined' });
  const config = await client.next({ command: 'iceServerConfig' });
  assert.match(String(config.turnServerUsername), /^\d+:private\/[0-9a-f-]{36}$/);
  // Asked again once joined: answered at once.
  client.send({ command: 'getIceServerConfig' });
  await client.next({ command: 'iceServerConfig' });

  const turn = new TurnClient({
    clock: systemClock,
    transport: await connectTurnTransport({
      host: '127.0.0.1',
      port: server.turn!.udp.port,
      protocol: 'udp',
    }),
    username: String(config.turnServerUsername),
    password: String(config.turnServerCredential),
  });
  t.after(() => turn.close());
  await turn.allocate();
  assert.equal(server.turn?.allocationCount, 1);
  // The socket that was given the credentials leaves: its allocation is cut short (revokeAfterLeaveSeconds: 0).
  client.close();
  const allocations = () => server.turn?.allocationCount;
  for (let i = 0; i < 50 && allocations() !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(allocations(), 0);
});

/** Runs `dyad serve` with `args`, which must make it fail, and returns its exit code and stderr. */
async function failingServe(args: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(`${root}bin/dyad.js`, ['serve', '--host', '127.0.0.1', '--no-web-build', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DYAD_LOG_LEVEL: 'silent' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stderr };
}

test('dyad serve names the flag to change when a port is taken, without a stack trace', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const tcpPort = (taken.address() as { port: number }).port;
  const http = await failingServe(['--port', String(tcpPort), '--no-turn']);
  assert.equal(http.code, 1);
  assert.match(http.stderr, new RegExp(`Port ${tcpPort} \\(HTTP and WebSocket\\) is already in use.*--port`));
  assert.doesNotMatch(http.stderr, /\n\s+at /, 'no stack trace');

  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  t.after(() => udp.close());
  const udpPort = udp.address().port;
  const turn = await failingServe(['--port', '0', '--turn-port', String(udpPort)]);
  assert.equal(turn.code, 1);
  assert.match(turn.stderr, /STUN\/TURN\) is already in use.*--turn-port.*--turn-port 0.*--no-turn/);
  assert.doesNotMatch(turn.stderr, /\n\s+at /, 'no stack trace');
});
