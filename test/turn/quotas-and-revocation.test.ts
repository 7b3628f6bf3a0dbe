// Through startTurnServer on loopback: the per-client-address allocation quota (RFC 8656 §7.2 step 10, 486)
// with its metrics, and revokeUser as the signaling server calls it when a peer leaves.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import { Registry } from 'prom-client';
import { createStunMessage, StunMethod } from '../../src/stun/index.ts';
import { createTurnRestCredentials, startTurnServer, type TurnServer } from '../../src/turn/index.ts';
import { allocate, errorCodeOf, type TurnSession, udpExchange } from './loopback-client.ts';

const secret = 'quota-test-secret';
const realm = 'dyad.test';

/** A new UDP socket (a new 5-tuple) allocating with fresh REST credentials for `user`. */
async function allocateAs(t: TestContext, server: TurnServer, user: string): Promise<TurnSession> {
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { username, password } = createTurnRestCredentials(secret, user, 600);
  return allocate(udpExchange(socket, server.udp.port), { username, password, realm });
}

test('one client address gets at most quotas.perSourceAddress allocations; /metrics shows refusals by reason', async (t) => {
  const registry = new Registry();
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    tcp: false,
    realm,
    authSecret: secret,
    quotas: { perSourceAddress: 3 },
    metricsRegistry: registry,
  });
  t.after(() => server.close());
  const sessions = await Promise.all(
    ['a', 'b', 'c', 'd', 'e'].map((user) => allocateAs(t, server, `room/${user}`)),
  );
  const codes = sessions.map((session) => errorCodeOf(session.allocated) ?? 'ok');
  const refused = codes.filter((code) => code === 486).length;
  assert.equal(
    codes.filter((code) => code === 'ok').length,
    3,
    `whatever the credentials: ${codes.join(',')}`,
  );
  assert.equal(refused, 2);
  const metrics = await registry.metrics();
  assert.match(metrics, /dyad_turn_allocations_refused_total\{reason="address_quota"\} 2\b/);
  assert.match(metrics, /dyad_turn_allocations_refused_total\{reason="user_quota"\} 0\b/);
  assert.match(metrics, /dyad_turn_allocations 3\b/);
});

test("revokeUser removes the user's allocations and its credentials stop working", async (t) => {
  const registry = new Registry();
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    tcp: false,
    realm,
    authSecret: secret,
    metricsRegistry: registry,
  });
  t.after(() => server.close());
  const leaving = await allocateAs(t, server, 'room/leaving');
  const staying = await allocateAs(t, server, 'room/staying');
  assert.equal(leaving.allocated.class, 'success');
  assert.equal(staying.allocated.class, 'success');
  assert.equal(server.revokeUser('room/leaving'), 1);
  assert.equal(server.allocationCount, 1);
  assert.equal(errorCodeOf(await leaving.request(createStunMessage(StunMethod.Refresh, 'request'))), 401);
  assert.equal(
    errorCodeOf((await allocateAs(t, server, 'room/leaving')).allocated),
    401,
    'new credentials too',
  );
  assert.equal((await staying.request(createStunMessage(StunMethod.Refresh, 'request'))).class, 'success');
  assert.match(await registry.metrics(), /dyad_turn_revoked_requests_total 2\b/);
});
