// The input boundary of the TURN listeners and relay sockets, on real loopback sockets: a core whose packet
// handler throws (a stand-in for any bug a packet could reach) costs one datagram over UDP and from peers,
// one connection over TCP and TLS; the process goes on, the error is counted by transport and logged at warn
// without the packet's contents.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as connectTcp, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { Registry } from 'prom-client';
import {
  addAttribute,
  createStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  SOFTWARE,
  StunMethod,
} from '../../src/stun/index.ts';
import type { ClientConnection } from '../../src/turn/allocation.ts';
import { TurnServerCore } from '../../src/turn/core.ts';
import { setup } from '../../src/turn/core-harness.ts';
import { StreamFramer } from '../../src/turn/index.ts';
import { listenStream, listenUdp } from '../../src/turn/listeners.ts';
import { registerTurnMetrics } from '../../src/turn/metrics.ts';
import { UdpRelayAllocator } from '../../src/turn/relay-sockets.ts';
import { makeTestCertificate } from '../support/certificate.ts';

/** Marks a packet whose handling throws: the first transaction ID byte, and a payload that must not be logged. */
const POISON = 0xee;
const payload = 'packet-payload-never-logged';

class ThrowingCore extends TurnServerCore {
  override handleClientPacket(connection: ClientConnection, packet: Uint8Array): void {
    if (packet[8] === POISON) throw new TypeError(`handler bug on ${payload}`);
    super.handleClientPacket(connection, packet);
  }
}

function binding(poisoned: boolean): Uint8Array {
  const message = createStunMessage(StunMethod.Binding, 'request');
  if (poisoned) message.transactionId[0] = POISON;
  else if (message.transactionId[0] === POISON) message.transactionId[0] = 0;
  addAttribute(message, SOFTWARE, payload);
  return encodeStunMessage(message);
}

function throwingCore() {
  const lines: string[] = [];
  const log = (object: object, message?: string) => lines.push(`${message} ${JSON.stringify(object)}`);
  const { core: base, counters } = setup();
  const core = new ThrowingCore({ ...base.options, logger: { debug: () => {}, info: log, warn: log } });
  base.close();
  const registry = new Registry();
  registerTurnMetrics(registry, counters);
  return { core, counters, registry, lines };
}

const nextMessage = (socket: UdpSocket) =>
  new Promise<Buffer>((resolve) => socket.once('message', (data) => resolve(data)));

async function boundUdp(t: TestContext): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

test('UDP: a datagram whose handler throws is dropped, counted and logged; the next is answered', async (t) => {
  const { core, counters, registry, lines } = throwingCore();
  const server = await listenUdp(core, '127.0.0.1', 0);
  t.after(() => server.close());
  const client = await boundUdp(t);
  const port = server.address().port;
  client.send(binding(true), port, '127.0.0.1');
  client.send(binding(true), port, '127.0.0.1');
  const answer = nextMessage(client);
  client.send(binding(false), port, '127.0.0.1');
  assert.equal(decodeStunMessage(await answer).class, 'success', 'the socket still serves');
  assert.equal(counters.inputErrors.udp, 2);
  assert.match(await registry.metrics(), /dyad_turn_input_errors_total\{transport="udp"\} 2\b/);
  const log = lines.join('\n');
  assert.match(log, /TURN input handler failed; packet dropped.*"transport":"udp".*"error":"TypeError"/);
  assert.match(log, /"unlogged":0/);
  assert.equal(lines.length, 1, 'a burst of failures logs once per interval');
  assert.equal(log.includes(payload), false, 'neither the packet nor the error message is logged');
});

/** Writes a frame on a stream and resolves with the next frame back, or undefined when the stream closes. */
function exchange(socket: Socket, frame: Uint8Array): Promise<Uint8Array | undefined> {
  const framer = new StreamFramer();
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      const [first] = framer.push(chunk);
      if (first) done(first);
    };
    const onClose = () => done(undefined);
    const done = (result: Uint8Array | undefined) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(result);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(frame);
  });
}

for (const protocol of ['tcp', 'tls'] as const) {
  test(`${protocol.toUpperCase()}: a chunk whose handler throws closes that connection only`, async (t) => {
    const certificate = protocol === 'tls' ? makeTestCertificate(t) : undefined;
    if (protocol === 'tls' && !certificate) return;
    const { core, counters, registry, lines } = throwingCore();
    const listener = await listenStream(core, '127.0.0.1', 0, 100, certificate);
    t.after(() => listener.close());
    const open = async () => {
      const socket =
        protocol === 'tls'
          ? connectTls({ host: '127.0.0.1', port: listener.port, rejectUnauthorized: false })
          : connectTcp({ host: '127.0.0.1', port: listener.port });
      t.after(() => socket.destroy());
      await new Promise((resolve) => socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', resolve));
      return socket;
    };
    const victim = await open();
    const bystander = await open();
    assert.ok(await exchange(victim, binding(false)), 'answered before');
    assert.equal(await exchange(victim, binding(true)), undefined, 'the connection is closed');
    const answer = await exchange(bystander, binding(false));
    assert.equal(answer && decodeStunMessage(answer).class, 'success', 'other connections go on');
    const fresh = await open();
    assert.ok(await exchange(fresh, binding(false)), 'new connections are served');
    assert.equal(counters.inputErrors[protocol], 1);
    const metrics = await registry.metrics();
    assert.match(metrics, new RegExp(`dyad_turn_input_errors_total\\{transport="${protocol}"\\} 1\\b`));
    const log = lines.join('\n');
    assert.match(log, new RegExp(`connection closed.*"transport":"${protocol}"`));
    assert.equal(log.includes(payload), false);
  });
}

test('relay sockets: a peer datagram whose handler throws is dropped and reported; the socket goes on', async (t) => {
  const { core, counters } = throwingCore();
  const sources: string[] = [];
  const allocator = new UdpRelayAllocator(
    { IPv4: '127.0.0.1' },
    { min: 20_000, max: 60_000 },
    (error, source) => {
      sources.push(source);
      core.inputErrors.record('relay', error, source);
    },
  );
  const relay = await allocator.open('IPv4', false);
  t.after(() => relay.close());
  const received: number[] = [];
  relay.onPacket = (data) => {
    if (data[0] === POISON) throw new RangeError('relay handler bug');
    received.push(data[0] as number);
  };
  const peer = await boundUdp(t);
  peer.send(Uint8Array.of(POISON), relay.address.port, '127.0.0.1');
  peer.send(Uint8Array.of(7), relay.address.port, '127.0.0.1');
  for (let i = 0; i < 100 && received.length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(received, [7]);
  assert.deepEqual(sources, ['127.0.0.1']);
  assert.equal(counters.inputErrors.relay, 1);
});
