import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startTurnServer } from '../../src/turn/index.ts';

const options = { host: '127.0.0.1', realm: 'dyad.test', authSecret: 'ports-test' };

test('port 0: UDP and TCP share one free number even when TCP ports are crowded', async (t) => {
  // Hold a few hundred TCP listeners so that free UDP numbers are often taken in TCP.
  const crowd = await Promise.all(
    Array.from({ length: 300 }, async () => {
      const server = createServer().listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  t.after(() => {
    for (const server of crowd) server.close();
  });
  const servers = await Promise.all(
    Array.from({ length: 20 }, () => startTurnServer({ ...options, port: 0 })),
  );
  t.after(() => Promise.all(servers.map((server) => server.close())));
  for (const server of servers) assert.equal(server.tcp?.port, server.udp.port);
  assert.equal(new Set(servers.map((server) => server.udp.port)).size, servers.length);
});

test('a fixed port already taken is a rejected start, not a crash', async (t) => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.after(() => taken.close());
  const { port } = taken.address() as { port: number };
  await assert.rejects(startTurnServer({ ...options, port }), /EADDRINUSE/);
});
