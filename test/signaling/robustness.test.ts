import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import { startServer } from '../../src/server/index.ts';
import { mintRoomToken } from '../../src/signaling/index.ts';
import { VirtualClock } from '../../src/util/index.ts';
import { spawnDyadServe } from '../support/dyad-process.ts';
import { TestSignalingClient } from '../support/signaling-client.ts';

const quiet = { host: '127.0.0.1', port: 0, logLevel: 'silent' } as const;

test('a frame over 64 KiB closes that socket with 1009; others carry on', async (t) => {
  const server = await startServer(quiet);
  t.after(() => server.close());
  const big = await TestSignalingClient.connect(server.wsUrl());
  const other = await TestSignalingClient.connect(server.wsUrl());
  big.send({ command: 'peerMessageCommand', streamId: 'r', data: 'x'.repeat(64 * 1024) });
  assert.equal((await big.closed).code, 1009);
  other.send({ command: 'ping' });
  await other.next({ command: 'pong' });
  other.close();
});

test('a flooding socket is rate limited without touching its partner', async (t) => {
  const server = await startServer({ ...quiet, messagesPerSecond: 50, messageBurst: 20 });
  t.after(() => server.close());
  const flooder = await TestSignalingClient.connect(server.wsUrl());
  const partner = await TestSignalingClient.connect(server.wsUrl());
  flooder.send({ command: 'join', streamId: 'flood' });
  partner.send({ command: 'join', streamId: 'flood' });
  await flooder.next({ command: 'start' });
  for (let i = 0; i < 200; i++) flooder.send({ command: 'peerMessageCommand', streamId: 'flood', data: i });
  await flooder.next({ command: 'error', definition: 'rate_limited' });
  let relayed = 0;
  for (;;) {
    try {
      await partner.next({ command: 'peerMessageCommand' }, 300);
      relayed++;
    } catch {
      break;
    }
  }
  assert.ok(relayed >= 17 && relayed <= 25, `about the burst is relayed, got ${relayed}`);
  partner.send({ command: 'ping' });
  await partner.next({ command: 'pong' });
  flooder.close();
  partner.close();
});

test('sockets silent for 30 s are closed; pinging ones stay (virtual time)', async (t) => {
  const clock = new VirtualClock(1_000);
  const server = await startServer(quiet, clock);
  t.after(() => server.close());
  const silent = await TestSignalingClient.connect(server.wsUrl());
  const chatty = await TestSignalingClient.connect(server.wsUrl());
  clock.advance(20_000);
  chatty.send({ command: 'ping' });
  await chatty.next({ command: 'pong' });
  clock.advance(15_000);
  assert.equal((await silent.closed).code, 1001);
  chatty.send({ command: 'ping' });
  await chatty.next({ command: 'pong' });
  chatty.close();
});

test('hostile frames from one socket never affect another peer nor the process', async (t) => {
  const server = await startServer({ ...quiet, messagesPerSecond: 100_000, messageBurst: 100_000 });
  t.after(() => server.close());
  const a = await TestSignalingClient.connect(server.wsUrl());
  const b = await TestSignalingClient.connect(server.wsUrl());
  a.send({ command: 'join', streamId: 'victim' });
  b.send({ command: 'join', streamId: 'victim' });
  await a.next({ command: 'start' });

  const hostile = await TestSignalingClient.connect(server.wsUrl());
  const commands = [
    'join',
    'leave',
    'stop',
    'takeConfiguration',
    'takeCandidate',
    'peerMessageCommand',
    'ping',
  ];
  const frame = fc.oneof(
    fc.string(),
    fc.json(),
    fc.record({
      command: fc.oneof(fc.constantFrom(...commands), fc.string()),
      streamId: fc.oneof(fc.constant('victim'), fc.string(), fc.integer(), fc.constant(null), fc.object()),
      label: fc.anything(),
      sdp: fc.anything(),
      type: fc.anything(),
      candidate: fc.anything(),
      __proto__: fc.object(),
      constructor: fc.anything(),
    }),
  );
  for (const sample of fc.sample(frame, { numRuns: 2_000, seed: 20261121 })) {
    hostile.socket.send(typeof sample === 'string' ? sample : JSON.stringify(sample));
  }
  hostile.send({ command: 'ping' });
  await hostile.next({ command: 'pong' }, 10_000);

  a.send({ command: 'takeConfiguration', streamId: 'victim', type: 'offer', sdp: 'still-working' });
  assert.equal((await b.next({ command: 'takeConfiguration' })).sdp, 'still-working');
  await a.nothing({ command: 'stop' });
  for (const client of [a, b, hostile]) client.close();
});

test('with a room secret, join needs a valid unexpired token for that room', async (t) => {
  const secret = 'test-room-secret';
  const server = await startServer({ ...quiet, roomTokenSecret: secret });
  t.after(() => server.close());
  const client = await TestSignalingClient.connect(server.wsUrl());
  const nowSeconds = Math.floor(Date.now() / 1000);
  const attempts: [string | undefined, string][] = [
    [undefined, 'unauthorized'],
    [await mintRoomToken(secret, 'other-room', nowSeconds + 60), 'unauthorized'],
    [await mintRoomToken('wrong-secret', 'private', nowSeconds + 60), 'unauthorized'],
    [await mintRoomToken(secret, 'private', nowSeconds - 1), 'unauthorized'],
    ['garbage.token', 'unauthorized'],
  ];
  for (const [token, definition] of attempts) {
    client.send({ command: 'join', streamId: 'private', token });
    assert.deepEqual(await client.next({ command: 'error' }), {
      command: 'error',
      definition,
      streamId: 'private',
    });
  }
  client.send({
    command: 'join',
    streamId: 'private',
    token: await mintRoomToken(secret, 'private', nowSeconds + 60),
  });
  await client.next({ command: 'notification', definition: 'joined', streamId: 'private' });
  client.close();
});

test('dyad serve: SIGTERM sends server_will_stop, closes with 1001 and exits 0 within 5 s', async () => {
  const dyad = await spawnDyadServe();
  const client = await TestSignalingClient.connect(dyad.wsUrl);
  client.send({ command: 'join', streamId: 'shutdown' });
  await client.next({ command: 'notification', definition: 'joined' });
  const started = Date.now();
  const exited = once(dyad.child, 'exit');
  dyad.child.kill('SIGTERM');
  await client.next({ command: 'notification', definition: 'server_will_stop' });
  assert.equal((await client.closed).code, 1001);
  const [exitCode] = await exited;
  assert.equal(exitCode, 0);
  assert.ok(Date.now() - started < 5_000);
});
