// The TURN core's allocation quotas (RFC 8656 §7.2 step 10) and the revocation of a user's credentials.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  addAttribute,
  createStunMessage,
  encodeStunMessage,
  NONCE,
  REALM,
  StunMethod,
  USERNAME,
} from '../stun/index.ts';
import { LIFETIME, REQUESTED_TRANSPORT } from './attributes.ts';
import { createTurnRestCredentials } from './auth.ts';
import { Client, errorCode, secret, setup, wallClockMs } from './core-harness.ts';
import { registerTurnMetrics } from './metrics.ts';
import { MAX_REVOKED_USERS, REVOCATION_MEMORY_MS, RevokedUsers } from './revoked-users.ts';

/** A client with fresh REST credentials for `user`, from `address`. */
function restClient(core: Client['core'], port: number, user: string, address?: string, ttl = 3600) {
  const credentials = createTurnRestCredentials(secret, user, ttl, wallClockMs);
  return new Client(core, port, credentials.username, credentials.password, address);
}

test('one client address holds at most perSourceAddress allocations, whatever its credentials (486)', async () => {
  const { core, counters } = setup({ perSourceAddress: 2 });
  const registry = new Registry();
  registerTurnMetrics(registry, counters);
  const first = restClient(core, 1, 'u1');
  assert.equal((await first.allocate()).class, 'success');
  assert.equal((await restClient(core, 2, 'u2').allocate()).class, 'success');
  const third = restClient(core, 3, 'u3');
  assert.equal(errorCode(await third.allocate()), 486, 'a third user from the same address');
  assert.equal(counters.allocationsRefused.address_quota, 1);
  assert.equal(
    (await restClient(core, 4, 'u4', '203.0.113.99').allocate()).class,
    'success',
    'another address has its own quota',
  );
  // Removing an allocation gives its place back.
  await first.request(StunMethod.Refresh, (m) => addAttribute(m, LIFETIME, 0));
  assert.equal((await third.allocate()).class, 'success');
  const metrics = await registry.metrics();
  assert.match(metrics, /dyad_turn_allocations_refused_total\{reason="address_quota"\} 1\b/);
  assert.match(metrics, /dyad_turn_allocations_refused_total\{reason="user_quota"\} 0\b/);
  assert.match(metrics, /dyad_turn_allocations_refused_total\{reason="total_quota"\} 0\b/);
});

test('quotas hold while relay sockets are being opened: parallel Allocates cannot overrun them', async () => {
  const { core, counters } = setup({ perSourceAddress: 3, perUser: 100 });
  const clients = Array.from({ length: 8 }, (_, i) => restClient(core, 100 + i, `user${i}`));
  const answers = await Promise.all(clients.map((client) => client.allocate()));
  assert.equal(answers.filter((answer) => answer.class === 'success').length, 3);
  assert.equal(answers.filter((answer) => errorCode(answer) === 486).length, 5);
  assert.equal(core.allocations.size, 3);
  assert.equal(counters.allocationsRefused.address_quota, 5);

  const perUser = setup({ perUser: 2 });
  const sameUser = Array.from({ length: 5 }, (_, i) =>
    restClient(perUser.core, 200 + i, 'eve', `192.0.2.${i}`),
  );
  const userAnswers = await Promise.all(sameUser.map((client) => client.allocate()));
  assert.equal(userAnswers.filter((answer) => answer.class === 'success').length, 2);
  assert.equal(perUser.counters.allocationsRefused.user_quota, 3);
});

test('the total quota answers 508 and is counted as such', async () => {
  const { core, counters } = setup({ total: 1 });
  assert.equal((await restClient(core, 1, 'a', '192.0.2.1').allocate()).class, 'success');
  assert.equal(errorCode(await restClient(core, 2, 'b', '192.0.2.2').allocate()), 508);
  assert.deepEqual(counters.allocationsRefused, { user_quota: 0, address_quota: 0, total_quota: 1 });
});

test('a failed Allocate gives its quota back (a malformed LIFETIME is read before any socket opens)', async () => {
  const { core, relays } = setup({ perSourceAddress: 1 });
  const client = restClient(core, 1, 'u1');
  const bad = await client.allocate((m) =>
    m.attributes.push({ type: LIFETIME.type, value: Uint8Array.of(1) }),
  );
  assert.equal(errorCode(bad), 400);
  assert.equal(relays.opened.length, 0, 'no relay socket was opened for it');
  assert.equal((await client.allocate()).class, 'success', 'the quota was not kept by the failure');
});

test("revokeUser removes the user's allocations and refuses its credentials, others unaffected", async () => {
  const { core, relays, counters } = setup();
  const bob1 = restClient(core, 1, 'room/bob');
  const bob2 = restClient(core, 2, 'room/bob', '192.0.2.7', 7200);
  const carol = restClient(core, 3, 'room/carol');
  for (const client of [bob1, bob2, carol]) assert.equal((await client.allocate()).class, 'success');
  assert.equal(core.revokeUser('room/bob'), 2);
  assert.deepEqual(
    relays.opened.map((relay) => relay.closed),
    [true, true, false],
  );
  assert.equal(core.allocations.size, 1);
  assert.equal(counters.allocations, 1);
  // The same credentials, and new ones for the same user, are refused like unknown ones (401).
  assert.equal(errorCode(await bob1.request(StunMethod.Refresh)), 401);
  assert.equal(errorCode(await restClient(core, 4, 'room/bob').allocate()), 401);
  assert.ok(counters.revokedRequests >= 2);
  assert.equal((await carol.request(StunMethod.Refresh)).class, 'success');
  // The quota of the removed allocations is free again.
  assert.equal(core.quotas.userCount('room/bob'), 0);
  assert.equal(core.quotas.sourceCount('192.0.2.7'), 0);
  assert.equal(core.revokeUser('nobody'), 0);
});

test('a static user can be revoked too, and an Allocate in flight when it is revoked makes nothing', async () => {
  const { core, relays } = setup();
  const alice = new Client(core, 1);
  assert.equal(errorCode(await alice.send(StunMethod.Allocate)), 401, 'challenge, to learn a nonce');
  const request = createStunMessage(StunMethod.Allocate, 'request');
  addAttribute(request, REQUESTED_TRANSPORT, 17);
  addAttribute(request, USERNAME, 'alice');
  addAttribute(request, REALM, 'dyad.test');
  addAttribute(request, NONCE, alice.nonce as string);
  core.handleClientPacket(alice.connection, encodeStunMessage(request, { integrityKey: alice.key }));
  assert.equal(core.pending.size, 1, 'waiting for its relay socket');
  assert.equal(core.revokeUser('alice'), 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(core.allocations.size, 0);
  assert.equal(relays.opened[0]?.closed, true, 'the socket opened meanwhile is closed');
  assert.equal(core.quotas.held, 0);
  assert.equal(errorCode(await new Client(core, 2).allocate()), 401);
});

test('a revocation is forgotten after 24 hours, and the list of revoked users is bounded', async () => {
  const { core, clock } = setup();
  core.revokeUser('room/bob');
  const bob = restClient(core, 1, 'room/bob', undefined, 48 * 3600);
  assert.equal(errorCode(await bob.allocate()), 401);
  clock.advance(REVOCATION_MEMORY_MS);
  assert.equal((await bob.allocate()).class, 'success', 'credentials still valid work again after 24 h');

  const revoked = new RevokedUsers(3);
  for (const user of ['a', 'b', 'c', 'd']) revoked.revoke(user, 0);
  assert.equal(revoked.size, 3);
  assert.equal(revoked.has('a', 0), false, 'the oldest is forgotten first');
  assert.equal(revoked.has('d', 0), true);
  revoked.revoke('e', REVOCATION_MEMORY_MS);
  assert.equal(revoked.size, 1, 'expired revocations are dropped as new ones come');
  assert.ok(MAX_REVOKED_USERS >= 10_000);
});
