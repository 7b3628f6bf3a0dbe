// A real TURN server on loopback fed, after a valid allocation, a CreatePermission whose XOR-PEER-ADDRESS is
// 1 to 3 bytes long (integrity-protected, so only the attribute is wrong). Such a request once killed the
// whole process over UDP and TCP; it must get 400 Bad Request (RFC 8489 §6.3.1) and leave the server up.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect as connectTcp } from 'node:net';
import { test } from 'node:test';
import { createStunMessage, type StunMessage, StunMethod } from '../../src/stun/index.ts';
import { startTurnServer, XOR_PEER_ADDRESS } from '../../src/turn/index.ts';
import { allocate, errorCodeOf, tcpExchange, udpExchange } from './loopback-client.ts';

const alice = { username: 'alice', password: 'correct horse battery staple', realm: 'dyad.test' };

/** A CreatePermission whose only XOR-PEER-ADDRESS value is `length` bytes long. */
function truncatedPermission(length: number): StunMessage {
  const message = createStunMessage(StunMethod.CreatePermission, 'request');
  message.attributes.push({
    type: XOR_PEER_ADDRESS.type,
    value: Uint8Array.of(0, 1, 0x12).subarray(0, length),
  });
  return message;
}

const binding = () => createStunMessage(StunMethod.Binding, 'request');

test('a truncated XOR-PEER-ADDRESS gets 400 over UDP and TCP, and the server keeps answering', async (t) => {
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: alice.realm,
    staticUsers: new Map([[alice.username, alice.password]]),
    allowLoopbackPeers: true,
  });
  t.after(() => server.close());

  const udp = createSocket('udp4');
  t.after(() => udp.close());
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const overUdp = udpExchange(udp, server.udp.port);
  const udpSession = await allocate(overUdp, alice);
  assert.equal(udpSession.allocated.class, 'success');

  const tcp = connectTcp({ host: '127.0.0.1', port: server.tcp?.port as number });
  t.after(() => tcp.destroy());
  await new Promise((resolve) => tcp.once('connect', resolve));
  const overTcp = tcpExchange(tcp);
  const tcpSession = await allocate(overTcp, alice);
  assert.equal(tcpSession.allocated.class, 'success');

  for (const length of [1, 2, 3]) {
    assert.equal(
      errorCodeOf(await udpSession.request(truncatedPermission(length))),
      400,
      `UDP, ${length} bytes`,
    );
    assert.equal(
      errorCodeOf(await tcpSession.request(truncatedPermission(length))),
      400,
      `TCP, ${length} bytes`,
    );
  }
  assert.equal((await overUdp(binding())).class, 'success', 'UDP still answers');
  assert.equal((await overTcp(binding())).class, 'success', 'the TCP connection still answers');
  assert.equal(server.allocationCount, 2, 'both allocations survive');
});
