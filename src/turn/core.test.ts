import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addAttribute,
  createStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  getAttribute,
  NONCE,
  REALM,
  StunMethod,
  UNKNOWN_ATTRIBUTES,
  USERNAME,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import {
  CHANNEL_NUMBER,
  DATA,
  LIFETIME,
  REQUESTED_ADDRESS_FAMILY,
  REQUESTED_TRANSPORT,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from './attributes.ts';
import { createTurnRestCredentials } from './auth.ts';
import { decodeChannelData, encodeChannelData } from './channel-data.ts';
import { Client, errorCode, FakeClient, type FakeRelay, peer, realm, secret, setup } from './core-harness.ts';

test('Binding is answered without credentials, with the source address and no amplification', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  const response = await client.send(StunMethod.Binding, () => {}, false);
  assert.equal(response.class, 'success');
  assert.deepEqual(getAttribute(response, XOR_MAPPED_ADDRESS), client.connection.remote);
  assert.equal(response.raw.length, 32, 'header + XOR-MAPPED-ADDRESS only');
});

test('a request whose FINGERPRINT is wrong is dropped unanswered (RFC 8489 §7.3)', () => {
  const { core, counters } = setup();
  const client = new FakeClient(1111);
  const bytes = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'), { fingerprint: true });
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  core.handleClientPacket(client, bytes);
  assert.equal(client.received.length, 0);
  assert.equal(counters.droppedPackets, 1);
});

test('Allocate: 401 challenge, then success with relayed and mapped addresses and the default lifetime', async () => {
  const { core, counters } = setup();
  const client = new Client(core, 1111);
  const challenge = await client.send(StunMethod.Allocate, (m) => addAttribute(m, REQUESTED_TRANSPORT, 17));
  assert.equal(errorCode(challenge), 401);
  assert.equal(getAttribute(challenge, REALM), realm);
  assert.ok(
    challenge.raw.length <= 20 + 8 + 16 + 4 + 12 + 4 + 32,
    `401 stays small: ${challenge.raw.length} bytes`,
  );
  const response = await client.allocate((m) => addAttribute(m, LIFETIME, 30));
  assert.equal(response.class, 'success');
  assert.deepEqual(getAttribute(response, XOR_RELAYED_ADDRESS), {
    family: 'IPv4',
    address: '198.51.100.1',
    port: 50000,
  });
  assert.equal(getAttribute(response, LIFETIME), 600, 'a lifetime below the default gets the default');
  assert.deepEqual(getAttribute(response, XOR_MAPPED_ADDRESS), client.connection.remote);
  assert.equal(counters.allocations, 1);
  assert.equal(counters.authFailures, 0);
});

test('wrong password → 401 and an auth failure; foreign nonce → 438; a nonce goes stale after its lifetime', async () => {
  const { core, counters, clock } = setup();
  const wrong = new Client(core, 1111, 'alice', 'not-it');
  await wrong.send(StunMethod.Allocate);
  assert.equal(errorCode(await wrong.send(StunMethod.Allocate)), 401);
  assert.equal(counters.authFailures, 1);

  const client = new Client(core, 2222);
  client.nonce = 'ffffffffff.forged-nonce-value';
  assert.equal(errorCode(await client.send(StunMethod.Allocate)), 438);
  assert.equal((await client.allocate((m) => addAttribute(m, LIFETIME, 3600))).class, 'success');
  clock.advance(600_001);
  const stale = await client.send(StunMethod.Refresh);
  assert.equal(errorCode(stale), 438);
  assert.equal(getAttribute(stale, REALM), realm);
  assert.equal((await client.send(StunMethod.Refresh)).class, 'success', 'the fresh nonce works');
});

test('TURN REST credentials are accepted until they expire', async () => {
  const { core } = setup();
  const fresh = createTurnRestCredentials(secret, 'bob', 3600, 1_700_000_000_000);
  const client = new Client(core, 1111, fresh.username, fresh.password);
  assert.equal((await client.allocate()).class, 'success');
  const expired = createTurnRestCredentials(secret, 'bob', -1, 1_700_000_000_000);
  const late = new Client(core, 2222, expired.username, expired.password);
  assert.equal(errorCode(await late.allocate()), 401);
  const forged = new Client(core, 3333, fresh.username, 'guess');
  assert.equal(errorCode(await forged.allocate()), 401);
});

test('Allocate errors: 400 without REQUESTED-TRANSPORT, 442 for TCP, 440 for IPv6 without a relay, 437 twice', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  assert.equal(errorCode(await client.request(StunMethod.Allocate)), 400);
  assert.equal(
    errorCode(await client.request(StunMethod.Allocate, (m) => addAttribute(m, REQUESTED_TRANSPORT, 6))),
    442,
  );
  assert.equal(errorCode(await client.allocate((m) => addAttribute(m, REQUESTED_ADDRESS_FAMILY, 0x02))), 440);
  assert.equal(errorCode(await client.allocate((m) => addAttribute(m, REQUESTED_ADDRESS_FAMILY, 0x03))), 440);
  assert.equal((await client.allocate()).class, 'success');
  assert.equal(errorCode(await client.allocate()), 437);
  assert.equal(errorCode(await new Client(core, 2222).request(StunMethod.Refresh)), 437);
});

test('malformed attributes get 400, inside Allocate too', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  const badEvenPort = await client.allocate((m) =>
    m.attributes.push({ type: 0x0018, value: new Uint8Array(0) }),
  );
  assert.equal(errorCode(badEvenPort), 400);
  await client.allocate();
  const badPeer = await client.request(StunMethod.CreatePermission, (m) =>
    m.attributes.push({ type: 0x0012, value: Uint8Array.of(0, 7, 0, 0) }),
  );
  assert.equal(errorCode(badPeer), 400);
});

test('DONT-FRAGMENT is refused with 420 UNKNOWN-ATTRIBUTES (Node cannot set DF)', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  const response = await client.allocate((m) =>
    m.attributes.push({ type: 0x001a, value: new Uint8Array(0) }),
  );
  assert.equal(errorCode(response), 420);
  assert.deepEqual(getAttribute(response, UNKNOWN_ATTRIBUTES), [0x001a]);
});

test('quotas: 486 per user, 508 in total', async () => {
  const { core } = setup({ perUser: 1, total: 2 });
  assert.equal((await new Client(core, 1).allocate()).class, 'success');
  assert.equal(errorCode(await new Client(core, 2).allocate()), 486);
  const bob = createTurnRestCredentials(secret, 'bob', 60, 1_700_000_000_000);
  assert.equal((await new Client(core, 3, bob.username, bob.password).allocate()).class, 'success');
  const carol = createTurnRestCredentials(secret, 'carol', 60, 1_700_000_000_000);
  assert.equal(errorCode(await new Client(core, 4, carol.username, carol.password).allocate()), 508);
});

test('another user cannot use an allocation (441); Refresh 0 deletes it', async () => {
  const { core, relays, counters } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  const bob = createTurnRestCredentials(secret, 'bob', 60, 1_700_000_000_000);
  const intruder = new Client(core, 1111, bob.username, bob.password);
  assert.equal(errorCode(await intruder.request(StunMethod.Refresh)), 441);
  const gone = await client.request(StunMethod.Refresh, (m) => addAttribute(m, LIFETIME, 0));
  assert.equal(getAttribute(gone, LIFETIME), 0);
  assert.equal(relays.opened[0]?.closed, true);
  assert.equal(counters.allocations, 0);
});

test('lifetimes in virtual time: allocation 10 min, permission 5 min, channel 10 min', async () => {
  const { core, clock, relays } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  const relay = relays.opened[0] as FakeRelay;
  const ok = await client.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, peer('192.0.2.50')),
  );
  assert.equal(ok.class, 'success');
  relay.onPacket(new Uint8Array([1, 2, 3]), '192.0.2.50', 7000);
  const data = decodeStunMessage(client.connection.received.at(-1) as Uint8Array);
  assert.equal(data.method, StunMethod.Data);
  assert.deepEqual(getAttribute(data, DATA), new Uint8Array([1, 2, 3]));
  assert.deepEqual(getAttribute(data, XOR_PEER_ADDRESS), peer('192.0.2.50', 7000));

  clock.advance(300_001);
  const count = client.connection.received.length;
  relay.onPacket(new Uint8Array([4]), '192.0.2.50', 7000);
  assert.equal(client.connection.received.length, count, 'an expired permission drops peer data');

  const bind = await client.request(StunMethod.ChannelBind, (m) => {
    addAttribute(m, CHANNEL_NUMBER, 0x4001);
    addAttribute(m, XOR_PEER_ADDRESS, peer('192.0.2.60', 9000));
  });
  assert.equal(bind.class, 'success');
  core.handleClientPacket(client.connection, encodeChannelData(0x4001, new Uint8Array([9, 9])));
  assert.deepEqual(relay.sent.at(-1), { data: new Uint8Array([9, 9]), address: '192.0.2.60', port: 9000 });
  relay.onPacket(new Uint8Array([5, 6]), '192.0.2.60', 9000);
  assert.deepEqual(decodeChannelData(client.connection.received.at(-1) as Uint8Array), {
    channel: 0x4001,
    data: new Uint8Array([5, 6]),
  });
  // Keep the allocation alive; the channel's own 10 minutes run out.
  assert.equal(
    (await client.request(StunMethod.Refresh, (m) => addAttribute(m, LIFETIME, 3600))).class,
    'success',
  );
  clock.advance(600_001);
  const sent = relay.sent.length;
  core.handleClientPacket(client.connection, encodeChannelData(0x4001, new Uint8Array([1])));
  assert.equal(relay.sent.length, sent, 'an expired channel relays nothing');
  clock.advance(3_600_000);
  assert.equal(relay.closed, true, 'the allocation expired');
  assert.equal(core.allocations.size, 0);
});

test('peer policy: 403 for private and loopback peers, allowed range works, 443 for the wrong family', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  for (const denied of [
    '10.0.0.1',
    '127.0.0.1',
    '192.168.1.1',
    '169.254.1.1',
    '100.64.0.1',
    '224.0.0.1',
    '0.0.0.0',
  ]) {
    const response = await client.request(StunMethod.CreatePermission, (m) =>
      addAttribute(m, XOR_PEER_ADDRESS, peer(denied)),
    );
    assert.equal(errorCode(response), 403, denied);
  }
  const allowed = await client.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, peer('10.1.2.3')),
  );
  assert.equal(allowed.class, 'success');
  const v6 = await client.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, { family: 'IPv6', address: '2001:db8::1', port: 1 }),
  );
  assert.equal(errorCode(v6), 443);
  const bind = await client.request(StunMethod.ChannelBind, (m) => {
    addAttribute(m, CHANNEL_NUMBER, 0x4000);
    addAttribute(m, XOR_PEER_ADDRESS, peer('172.16.0.1'));
  });
  assert.equal(errorCode(bind), 403);
});

test('ChannelBind conflicts are 400; permissions per allocation are bounded (508)', async () => {
  const { core } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  const bind = (channel: number, address: string, port = 4000) =>
    client.request(StunMethod.ChannelBind, (m) => {
      addAttribute(m, CHANNEL_NUMBER, channel);
      addAttribute(m, XOR_PEER_ADDRESS, peer(address, port));
    });
  assert.equal((await bind(0x4000, '192.0.2.1')).class, 'success');
  assert.equal((await bind(0x4000, '192.0.2.1')).class, 'success', 'rebinding the same pair refreshes');
  assert.equal(errorCode(await bind(0x4000, '192.0.2.2')), 400);
  assert.equal(errorCode(await bind(0x4001, '192.0.2.1')), 400);
  assert.equal(errorCode(await bind(0x3fff, '192.0.2.9')), 400);
  assert.equal((await bind(0x4002, '192.0.2.2')).class, 'success');
  assert.equal((await bind(0x4003, '192.0.2.3')).class, 'success');
  assert.equal(errorCode(await bind(0x4004, '192.0.2.4')), 508);
});

test('Send indications relay to permitted peers only; malformed input is dropped and counted', async () => {
  const { core, relays, counters } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  await client.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, peer('192.0.2.7')),
  );
  const relay = relays.opened[0] as FakeRelay;
  const send = (address: string) => {
    const indication = createStunMessage(StunMethod.Send, 'indication');
    addAttribute(indication, XOR_PEER_ADDRESS, peer(address, 5000));
    addAttribute(indication, DATA, new Uint8Array([42]));
    core.handleClientPacket(client.connection, encodeStunMessage(indication));
  };
  send('192.0.2.7');
  send('192.0.2.8');
  assert.deepEqual(
    relay.sent.map((s) => s.address),
    ['192.0.2.7'],
  );
  const dropped = counters.droppedPackets;
  for (const junk of [
    new Uint8Array([0x00, 0x01, 0x00]),
    new Uint8Array([0xff, 1, 2, 3]),
    new Uint8Array([0x40, 0, 0, 9]),
  ]) {
    core.handleClientPacket(client.connection, junk);
  }
  assert.equal(counters.droppedPackets, dropped + 3);
});

test('unauthenticated requests are rate limited per source', async () => {
  const { core, counters } = setup({ ratePerSecond: 1 });
  const client = new FakeClient(1111);
  const binding = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'));
  for (let i = 0; i < 60; i++) core.handleClientPacket(client, binding);
  assert.equal(client.received.length, 50, 'the burst, then nothing');
  assert.equal(counters.droppedPackets, 10);
  const other = new FakeClient(2222, '203.0.113.6');
  core.handleClientPacket(other, binding);
  assert.equal(other.received.length, 1, 'another source has its own bucket');
});

test('fuzz: any packet from a client is answered or dropped, never thrown', async () => {
  const { core } = setup({ ratePerSecond: Number.POSITIVE_INFINITY });
  const client = new Client(core, 1111);
  await client.allocate();
  const key = client.key;
  const nonce = client.nonce as string;
  const seeds = [
    StunMethod.Allocate,
    StunMethod.Refresh,
    StunMethod.CreatePermission,
    StunMethod.ChannelBind,
  ].map((method) => {
    const message = createStunMessage(method, 'request');
    addAttribute(message, XOR_PEER_ADDRESS, peer('192.0.2.1'));
    addAttribute(message, CHANNEL_NUMBER, 0x4001);
    addAttribute(message, USERNAME, 'alice');
    addAttribute(message, REALM, realm);
    addAttribute(message, NONCE, nonce);
    return encodeStunMessage(message, { integrityKey: key });
  });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 120 }),
        fc
          .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }))
          .map(([seed, flips]) => {
            const bytes = seed.slice();
            for (const [at, value] of flips) bytes[20 + (at % (bytes.length - 20))] = value;
            return bytes;
          }),
      ),
      (bytes) => {
        core.handleClientPacket(client.connection, bytes);
      },
    ),
    { numRuns: 2000 },
  );
  await new Promise((resolve) => setImmediate(resolve));
});
