// The TURN core's relay path against hostile or odd input: malformed peer addresses, and peers that are
// the server itself (RFC 8656 §21.2.3), where only the relayed addresses of live allocations are reachable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addAttribute,
  createStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  getAttribute,
  type StunMessage,
  StunMethod,
  type TransportAddress,
} from '../stun/index.ts';
import { CHANNEL_NUMBER, DATA, LIFETIME, XOR_PEER_ADDRESS } from './attributes.ts';
import { decodeChannelData, encodeChannelData } from './channel-data.ts';
import { Client, errorCode, type FakeRelay, peer, setup } from './core-harness.ts';

const truncatedPeer = (length: number) => ({
  type: XOR_PEER_ADDRESS.type,
  value: Uint8Array.of(0, 1, 0x12).subarray(0, length),
});

test('CreatePermission with a 1-3 byte XOR-PEER-ADDRESS gets 400 and installs nothing', async () => {
  const { core, relays } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  for (const length of [0, 1, 2, 3, 5, 9]) {
    const response = await client.request(StunMethod.CreatePermission, (m) => {
      addAttribute(m, XOR_PEER_ADDRESS, peer('192.0.2.1'));
      m.attributes.push(truncatedPeer(length));
    });
    assert.equal(errorCode(response), 400, `${length} bytes`);
  }
  const relay = relays.opened[0] as FakeRelay;
  const send = createStunMessage(StunMethod.Send, 'indication');
  addAttribute(send, XOR_PEER_ADDRESS, peer('192.0.2.1'));
  addAttribute(send, DATA, Uint8Array.of(1));
  core.handleClientPacket(client.connection, encodeStunMessage(send));
  assert.equal(relay.sent.length, 0, 'the valid peer next to the bad one got no permission');
  const binding = await client.send(StunMethod.Binding, () => {}, false);
  assert.equal(binding.class, 'success', 'the core still answers');
});

test('Send indications and ChannelData with bad attributes or framing are dropped quietly', async () => {
  const { core, relays, counters } = setup();
  const client = new Client(core, 1111);
  await client.allocate();
  await client.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, peer('192.0.2.7')),
  );
  const relay = relays.opened[0] as FakeRelay;
  const answered = client.connection.received.length;
  const dropped = counters.droppedPackets;
  const indications: StunMessage[] = [];
  for (const length of [0, 1, 2, 3, 7]) {
    const send = createStunMessage(StunMethod.Send, 'indication');
    send.attributes.push(truncatedPeer(length));
    addAttribute(send, DATA, Uint8Array.of(1));
    indications.push(send);
  }
  const unknownFamily = createStunMessage(StunMethod.Send, 'indication');
  unknownFamily.attributes.push({
    type: XOR_PEER_ADDRESS.type,
    value: Uint8Array.of(0, 9, 0, 0, 1, 2, 3, 4),
  });
  addAttribute(unknownFamily, DATA, Uint8Array.of(1));
  indications.push(unknownFamily);
  for (const indication of indications)
    core.handleClientPacket(client.connection, encodeStunMessage(indication));
  const channelData = [
    Uint8Array.of(0x40, 0x00, 0x00),
    Uint8Array.of(0x40, 0x00, 0x00, 0x09, 1),
    encodeChannelData(0x4001, Uint8Array.of(1)),
    Uint8Array.of(0x7f, 0xff, 0xff, 0xff),
  ];
  for (const packet of channelData) core.handleClientPacket(client.connection, packet);
  assert.equal(relay.sent.length, 0);
  assert.equal(client.connection.received.length, answered, 'nothing is answered');
  assert.equal(counters.droppedPackets, dropped + indications.length + channelData.length);
});

/** A server whose own public address (not a documentation one: those are refused anyway) is this. */
const serverAddress = '93.184.216.34';

function selfSetup() {
  return setup({ relayAddress: serverAddress, policy: { serverAddresses: [serverAddress] } });
}

async function allocated(core: Client['core'], port: number) {
  const client = new Client(core, port);
  assert.equal((await client.allocate()).class, 'success');
  return client;
}

const relayOf = (relay: FakeRelay): TransportAddress => relay.address;

test("the server's own address is refused as a peer, but not the relayed address of a live allocation", async () => {
  const { core, relays, counters } = selfSetup();
  const a = await allocated(core, 1);
  const b = await allocated(core, 2);
  const [relayA, relayB] = relays.opened as [FakeRelay, FakeRelay];
  const permit = (client: Client, address: TransportAddress) =>
    client.request(StunMethod.CreatePermission, (m) => addAttribute(m, XOR_PEER_ADDRESS, address));
  assert.equal(errorCode(await permit(a, { family: 'IPv4', address: serverAddress, port: 3478 })), 403);
  assert.equal((await permit(a, relayOf(relayB))).class, 'success');
  assert.equal((await permit(b, relayOf(relayA))).class, 'success');

  // A → B's relayed address: B's client gets a Data indication from A's relayed address; no socket is used.
  const send = (client: Client, to: TransportAddress, data: Uint8Array) => {
    const indication = createStunMessage(StunMethod.Send, 'indication');
    addAttribute(indication, XOR_PEER_ADDRESS, to);
    addAttribute(indication, DATA, data);
    core.handleClientPacket(client.connection, encodeStunMessage(indication));
  };
  send(a, relayOf(relayB), Uint8Array.of(1, 2, 3));
  const atB = decodeStunMessage(b.connection.received.at(-1) as Uint8Array);
  assert.equal(atB.method, StunMethod.Data);
  assert.deepEqual(getAttribute(atB, XOR_PEER_ADDRESS), relayOf(relayA));
  assert.deepEqual(getAttribute(atB, DATA), Uint8Array.of(1, 2, 3));
  assert.equal(relayA.sent.length, 0, 'handed over inside the server');
  assert.equal(counters.relayedPacketsBetweenAllocations, 1);
  assert.equal(counters.relayedBytesBetweenAllocations, 3);
  assert.equal(counters.relayedPacketsToPeer, 0);

  // The permission for the server's address reaches its relayed addresses only, no other port.
  const dropped = counters.droppedPackets;
  send(a, { family: 'IPv4', address: serverAddress, port: 3478 }, Uint8Array.of(9));
  assert.equal(relayA.sent.length, 0);
  assert.equal(counters.droppedPackets, dropped + 1);

  // Channels work the same way, both directions.
  const bind = (client: Client, channel: number, to: TransportAddress) =>
    client.request(StunMethod.ChannelBind, (m) => {
      addAttribute(m, CHANNEL_NUMBER, channel);
      addAttribute(m, XOR_PEER_ADDRESS, to);
    });
  assert.equal((await bind(a, 0x4001, relayOf(relayB))).class, 'success');
  assert.equal((await bind(b, 0x4002, relayOf(relayA))).class, 'success');
  core.handleClientPacket(a.connection, encodeChannelData(0x4001, Uint8Array.of(7)));
  assert.deepEqual(decodeChannelData(b.connection.received.at(-1) as Uint8Array), {
    channel: 0x4002,
    data: Uint8Array.of(7),
  });

  // The receiver's permissions apply: C permits nobody, so A's data for C is dropped.
  const c = await allocated(core, 3);
  const relayC = relays.opened[2] as FakeRelay;
  const atC = c.connection.received.length;
  send(a, relayOf(relayC), Uint8Array.of(5));
  assert.equal(c.connection.received.length, atC);

  // Once B's allocation is gone its address is the server's again: nothing goes there.
  await b.request(StunMethod.Refresh, (m) => addAttribute(m, LIFETIME, 0));
  const between = counters.relayedPacketsBetweenAllocations;
  send(a, relayOf(relayB), Uint8Array.of(6));
  assert.equal(counters.relayedPacketsBetweenAllocations, between);
  assert.equal(relayA.sent.length, 0);
});

test("an operator allow of the server's address beats the self-address refusal", async () => {
  const { core, relays } = setup({
    relayAddress: serverAddress,
    policy: { serverAddresses: [serverAddress], allowedPeerRanges: [`${serverAddress}/32`] },
  });
  const a = await allocated(core, 1);
  const response = await a.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, { family: 'IPv4', address: serverAddress, port: 5000 }),
  );
  assert.equal(response.class, 'success');
  const indication = createStunMessage(StunMethod.Send, 'indication');
  addAttribute(indication, XOR_PEER_ADDRESS, { family: 'IPv4', address: serverAddress, port: 5000 });
  addAttribute(indication, DATA, Uint8Array.of(1));
  core.handleClientPacket(a.connection, encodeStunMessage(indication));
  assert.equal((relays.opened[0] as FakeRelay).sent.length, 1, 'sent out through the relay socket');
});

test('an operator deny of the relay address refuses relay to relay too', async () => {
  const { core, relays } = setup({
    relayAddress: serverAddress,
    policy: { serverAddresses: [serverAddress], deniedPeerRanges: [`${serverAddress}/32`] },
  });
  const a = await allocated(core, 1);
  await allocated(core, 2);
  const response = await a.request(StunMethod.CreatePermission, (m) =>
    addAttribute(m, XOR_PEER_ADDRESS, relayOf(relays.opened[1] as FakeRelay)),
  );
  assert.equal(errorCode(response), 403);
});
