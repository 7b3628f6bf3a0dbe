import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTurnOptions, startServer } from '../../src/server/index.ts';
import { connectTurnTransport, TurnClient } from '../../src/turn/index.ts';
import { systemClock } from '../../src/util/index.ts';
import { spawnDyadServe } from '../support/dyad-process.ts';
import { TestSignalingClient } from '../support/signaling-client.ts';

test('getIceServerConfig hands out our turn: URI with REST credentials that allocate a relay', async (t) => {
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    turn: { ...defaultTurnOptions, host: '127.0.0.1', port: 0 },
  });
  t.after(() => server.close());
  const client = await TestSignalingClient.connect(server.wsUrl());
  t.after(() => client.close());
  client.send({ command: 'getIceServerConfig' });
  const config = await client.next({ command: 'iceServerConfig' });
  assert.equal(config.stunServerUri, `turn:127.0.0.1:${server.turn?.udp.port}`);
  const username = String(config.turnServerUsername);
  const expiry = Number(username.split(':')[0]);
  assert.ok(expiry > Date.now() / 1000 + 3600, 'credentials live for hours, not forever');

  for (const protocol of ['udp', 'tcp'] as const) {
    const turn = new TurnClient({
      clock: systemClock,
      transport: await connectTurnTransport({ host: '127.0.0.1', port: server.turn!.udp.port, protocol }),
      username,
      password: String(config.turnServerCredential),
    });
    const allocation = await turn.allocate();
    assert.ok(allocation.relayed.port > 0, `${protocol} allocation`);
    await turn.close();
  }

  const forged = new TurnClient({
    clock: systemClock,
    transport: await connectTurnTransport({
      host: '127.0.0.1',
      port: server.turn!.udp.port,
      protocol: 'udp',
    }),
    username,
    password: 'not-the-password',
  });
  await assert.rejects(forged.allocate(), /401/);
  await forged.close();

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /dyad_turn_auth_failures_total [1-9]/);
});

test('dyad serve runs STUN/TURN beside signaling; processes sharing --turn-secret accept each other’s credentials', async (t) => {
  const secret = 'shared-turn-secret';
  const first = await spawnDyadServe(['--turn-secret', secret]);
  const second = await spawnDyadServe(['--turn-secret', secret]);
  t.after(() => Promise.all([first.stop(), second.stop()]));
  const client = await TestSignalingClient.connect(first.wsUrl);
  t.after(() => client.close());
  client.send({ command: 'getIceServerConfig' });
  const config = await client.next({ command: 'iceServerConfig' });
  assert.match(String(config.stunServerUri), /^turn:127\.0\.0\.1:\d+$/);
  // Credentials minted by the first process, used on the second process's TURN port.
  const secondPort = Number(/STUN\/TURN: (\d+)/.exec(second.output)?.[1]);
  assert.ok(secondPort > 0);
  const turn = new TurnClient({
    clock: systemClock,
    transport: await connectTurnTransport({ host: '127.0.0.1', port: secondPort, protocol: 'udp' }),
    username: String(config.turnServerUsername),
    password: String(config.turnServerCredential),
  });
  assert.ok((await turn.allocate()).relayed.port > 0);
  await turn.close();
});
