// Our TURN server on real loopback sockets: Binding over UDP, TCP and TLS, an allocation over TCP with
// relaying to a UDP peer, metrics in a prom-client registry, and logs that never carry a secret.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect as connectTcp, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { Registry } from 'prom-client';
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  longTermKey,
  NONCE,
  REALM,
  type StunMessage,
  StunMethod,
  USERNAME,
  XOR_MAPPED_ADDRESS,
} from '../../src/stun/index.ts';
import {
  CHANNEL_NUMBER,
  decodeChannelData,
  encodeChannelData,
  REQUESTED_TRANSPORT,
  StreamFramer,
  startTurnServer,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from '../../src/turn/index.ts';
import { makeTestCertificate } from '../support/certificate.ts';

const secret = 'very-secret-shared-key';
const password = 'correct horse battery staple';

function logger(lines: string[]) {
  const log = (object: object, message?: string) => lines.push(`${message} ${JSON.stringify(object)}`);
  return { debug: log, info: log, warn: log };
}

/** Request/response over one stream socket, framed as RFC 8656 §12.5 says. */
function streamClient(socket: Socket) {
  const framer = new StreamFramer();
  const frames: Uint8Array[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk) => {
    frames.push(...framer.push(chunk));
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (): Promise<Uint8Array> => {
    while (frames.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return frames.shift() as Uint8Array;
  };
  return {
    next,
    async request(message: StunMessage, key?: Uint8Array): Promise<DecodedStunMessage> {
      socket.write(encodeStunMessage(message, key ? { integrityKey: key } : {}));
      return decodeStunMessage(await next());
    },
  };
}

function binding(): StunMessage {
  return createStunMessage(StunMethod.Binding, 'request');
}

test('Binding over UDP, TCP and TLS; TCP allocation relays both ways; metrics; no secrets in logs', async (t) => {
  const certificate = makeTestCertificate(t);
  if (!certificate) return;
  const lines: string[] = [];
  const registry = new Registry();
  const server = await startTurnServer({
    host: '127.0.0.1',
    port: 0,
    realm: 'dyad.test',
    authSecret: secret,
    staticUsers: new Map([['alice', password]]),
    allowLoopbackPeers: true,
    tls: { port: 0, cert: certificate.cert, key: certificate.key },
    metricsRegistry: registry,
    logger: logger(lines),
  });
  t.after(() => server.close());
  assert.ok(server.tcp && server.tls);
  assert.equal(server.tcp.port, server.udp.port, 'UDP and TCP share the port');

  // UDP Binding.
  const udp = createSocket('udp4');
  t.after(() => udp.close());
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const udpResponse = new Promise<DecodedStunMessage>((resolve) =>
    udp.once('message', (packet) => resolve(decodeStunMessage(packet))),
  );
  udp.send(encodeStunMessage(binding()), server.udp.port, '127.0.0.1');
  assert.deepEqual(getAttribute(await udpResponse, XOR_MAPPED_ADDRESS), {
    family: 'IPv4',
    address: '127.0.0.1',
    port: udp.address().port,
  });

  // TLS Binding ("turns:").
  const tls = connectTls({ host: '127.0.0.1', port: server.tls.port, rejectUnauthorized: false });
  t.after(() => tls.destroy());
  await new Promise((resolve) => tls.once('secureConnect', resolve));
  const tlsResponse = await streamClient(tls).request(binding());
  assert.equal(getAttribute(tlsResponse, XOR_MAPPED_ADDRESS)?.port, tls.localPort);

  // TCP: Binding, then a long-term authenticated allocation with a channel to the UDP socket as peer.
  const tcp = connectTcp({ host: '127.0.0.1', port: server.tcp.port });
  t.after(() => tcp.destroy());
  await new Promise((resolve) => tcp.once('connect', resolve));
  const client = streamClient(tcp);
  assert.equal(getAttribute(await client.request(binding()), XOR_MAPPED_ADDRESS)?.port, tcp.localPort);
  const allocate = () =>
    addAttribute(createStunMessage(StunMethod.Allocate, 'request'), REQUESTED_TRANSPORT, 17);
  const challenge = await client.request(allocate());
  assert.equal(getAttribute(challenge, ERROR_CODE)?.code, 401);
  const key = longTermKey('alice', 'dyad.test', password);
  const signed = (message: StunMessage) => {
    addAttribute(message, USERNAME, 'alice');
    addAttribute(message, REALM, 'dyad.test');
    return addAttribute(message, NONCE, getAttribute(challenge, NONCE) as string);
  };
  const allocated = await client.request(signed(allocate()), key);
  assert.equal(allocated.class, 'success');
  const relay = getAttribute(allocated, XOR_RELAYED_ADDRESS);
  assert.ok(relay);
  const bind = createStunMessage(StunMethod.ChannelBind, 'request');
  addAttribute(bind, CHANNEL_NUMBER, 0x4abc);
  addAttribute(bind, XOR_PEER_ADDRESS, { family: 'IPv4', address: '127.0.0.1', port: udp.address().port });
  assert.equal((await client.request(signed(bind), key)).class, 'success');

  const atPeer = new Promise<{ data: Buffer; port: number }>((resolve) =>
    udp.once('message', (data, remote) => resolve({ data, port: remote.port })),
  );
  tcp.write(encodeChannelData(0x4abc, Uint8Array.of(1, 2, 3), true));
  const received = await atPeer;
  assert.deepEqual([...received.data], [1, 2, 3]);
  assert.equal(received.port, relay.port, 'the peer sees the relayed address');
  udp.send(Uint8Array.of(7, 7, 7, 7, 7), relay.port, '127.0.0.1');
  const fromPeer = decodeChannelData(await client.next());
  assert.equal(fromPeer.channel, 0x4abc);
  assert.deepEqual([...fromPeer.data], [7, 7, 7, 7, 7]);

  const metrics = await registry.metrics();
  assert.match(metrics, /dyad_turn_allocations 1/);
  assert.match(metrics, /dyad_turn_relayed_packets_total\{direction="to_peer"\} 1/);
  assert.match(metrics, /dyad_turn_relayed_bytes_total\{direction="to_client"\} 5/);
  assert.match(metrics, /dyad_turn_auth_failures_total 0/);

  tcp.destroy();
  for (let i = 0; i < 50 && server.allocationCount > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(server.allocationCount, 0, 'closing the TCP connection ends its allocation');
  const log = lines.join('\n');
  assert.match(log, /TURN allocation created/);
  for (const secretText of [secret, password, Buffer.from(key).toString('hex')]) {
    assert.equal(log.includes(secretText), false, 'no secret is logged');
  }
});
