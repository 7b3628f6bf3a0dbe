import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from './clock.ts';
import { type VirtualEndpoint, VirtualNetwork } from './virtual-network.ts';

const bytes = (n: number) => new Uint8Array([n]);

function collect(network: VirtualNetwork, address: string, port = 0) {
  const socket = network.bind(address, port);
  const received: { value: number; from: VirtualEndpoint; at: number }[] = [];
  socket.onMessage((data, from) => received.push({ value: data[0]!, from, at: network.clock.now() }));
  return { socket, received };
}

test('delivers datagrams after the link delay, with the sender as source', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock });
  const a = collect(network, '10.0.0.1', 5000);
  const b = collect(network, '10.0.0.2');
  network.setLink('10.0.0.1', '10.0.0.2', { delayMs: 25 });
  a.socket.send(bytes(7), '10.0.0.2', b.socket.port);
  clock.advance(24);
  assert.equal(b.received.length, 0);
  clock.advance(1);
  assert.deepEqual(b.received, [{ value: 7, from: { address: '10.0.0.1', port: 5000 }, at: 25 }]);
  b.socket.send(bytes(8), '10.0.0.1', 5000);
  clock.advance(0);
  assert.equal(a.received[0]?.value, 8, 'the other direction has the default link');
  a.socket.send(bytes(9), '10.0.0.9', 1);
  clock.advance(100);
  assert.equal(network.stats.unroutable, 1);
});

test('loss and jitter are random but the same for the same seed', () => {
  const run = (seed: number) => {
    const clock = new VirtualClock();
    const network = new VirtualNetwork({
      clock,
      seed,
      defaultLink: { loss: 0.3, delayMs: 10, jitterMs: 20 },
    });
    const a = collect(network, '192.0.2.1');
    const b = collect(network, '192.0.2.2');
    for (let i = 0; i < 200; i++) a.socket.send(bytes(i), '192.0.2.2', b.socket.port);
    clock.advance(100);
    return b.received.map((r) => r.value);
  };
  const first = run(42);
  assert.deepEqual(run(42), first);
  assert.notDeepEqual(run(43), first);
  assert.ok(first.length > 100 && first.length < 180, `about 70% arrive (${first.length})`);
  const sorted = [...first].sort((x, y) => x - y);
  assert.notDeepEqual(first, sorted, 'jitter reorders');
});

test('endpoint-independent NAT: one mapping for every destination, open to anyone', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock });
  network.addNat({
    publicAddress: '203.0.113.1',
    insideAddresses: ['10.0.0.2'],
    mapping: 'endpoint-independent',
    filtering: 'endpoint-independent',
  });
  const inside = collect(network, '10.0.0.2', 4000);
  const s1 = collect(network, '198.51.100.1', 3478);
  const s2 = collect(network, '198.51.100.2', 3478);
  inside.socket.send(bytes(1), '198.51.100.1', 3478);
  inside.socket.send(bytes(2), '198.51.100.2', 3478);
  clock.advance(0);
  const mapped = s1.received[0]!.from;
  assert.equal(mapped.address, '203.0.113.1');
  assert.deepEqual(s2.received[0]!.from, mapped, 'same mapping towards both servers');
  const stranger = collect(network, '198.51.100.3');
  stranger.socket.send(bytes(3), mapped.address, mapped.port);
  clock.advance(0);
  assert.deepEqual(
    inside.received.map((r) => r.value),
    [3],
  );
  // Nobody outside reaches the private address directly.
  s1.socket.send(bytes(4), '10.0.0.2', 4000);
  clock.advance(0);
  assert.equal(inside.received.length, 1);
});

test('address- and port-dependent NAT: a mapping per destination, filtered by sender', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock });
  const nat = network.addNat({
    publicAddress: '203.0.113.1',
    insideAddresses: ['10.0.0.2'],
    mapping: 'address-port-dependent',
    filtering: 'address-port-dependent',
    mappingLifetimeMs: 30_000,
  });
  const inside = collect(network, '10.0.0.2', 4000);
  const s1 = collect(network, '198.51.100.1', 3478);
  const s1b = collect(network, '198.51.100.1', 3479);
  inside.socket.send(bytes(1), '198.51.100.1', 3478);
  inside.socket.send(bytes(2), '198.51.100.1', 3479);
  clock.advance(0);
  assert.notDeepEqual(s1.received[0]!.from, s1b.received[0]!.from, 'a new mapping per destination port');
  const mapping = s1.received[0]!.from;
  s1b.socket.send(bytes(9), mapping.address, mapping.port);
  clock.advance(0);
  assert.equal(inside.received.length, 0);
  assert.equal(network.stats.filtered, 1);
  s1.socket.send(bytes(5), mapping.address, mapping.port);
  clock.advance(0);
  assert.deepEqual(
    inside.received.map((r) => r.value),
    [5],
  );
  assert.equal(nat.mappingCount, 2);
  clock.advance(30_000);
  s1.socket.send(bytes(6), mapping.address, mapping.port);
  clock.advance(0);
  assert.equal(inside.received.length, 1, 'the idle mapping expired');
});

test('sockets refuse reuse of a bound port and stop receiving when closed', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock });
  const a = collect(network, '10.0.0.1', 1000);
  assert.throws(() => network.bind('10.0.0.1', 1000), /in use/);
  const b = collect(network, '10.0.0.2');
  b.socket.send(bytes(1), '10.0.0.1', 1000);
  a.socket.close();
  clock.advance(0);
  assert.equal(a.received.length, 0);
  assert.throws(() => a.socket.send(bytes(1), '10.0.0.2', b.socket.port), /closed/);
  assert.throws(() => b.socket.send(new Uint8Array(70_000), '10.0.0.1', 1000), RangeError);
});

test('address-dependent filtering admits any port of an address the inside host sent to', () => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock });
  network.addNat({
    publicAddress: '203.0.113.1',
    insideAddresses: ['10.0.0.2'],
    mapping: 'endpoint-independent',
    filtering: 'address-dependent',
  });
  const inside = collect(network, '10.0.0.2', 4000);
  const server = collect(network, '198.51.100.1', 3478);
  const otherPort = collect(network, '198.51.100.1', 9999);
  const otherHost = collect(network, '198.51.100.2', 3478);
  inside.socket.send(bytes(1), '198.51.100.1', 3478);
  clock.advance(0);
  const mapped = server.received[0]!.from;
  otherPort.socket.send(bytes(2), mapped.address, mapped.port);
  otherHost.socket.send(bytes(3), mapped.address, mapped.port);
  clock.advance(0);
  assert.deepEqual(
    inside.received.map((r) => r.value),
    [2],
  );
  assert.equal(network.stats.filtered, 1);
});
