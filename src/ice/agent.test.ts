import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IceCandidate } from '../sdp/index.ts';
import {
  addAttribute,
  createStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  StunMethod,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import { type NatBehavior, VirtualClock, VirtualNetwork } from '../util/index.ts';
import { IceAgent } from './agent.ts';
import type { IceCandidateError } from './candidate.ts';
import type { IceAgentOptions, IceConnectionState } from './options.ts';
import { VirtualIceTransport } from './transport.ts';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Advances virtual time in steps, letting promise callbacks run between them. */
async function run(clock: VirtualClock, ms: number, step = 10): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    clock.advance(step);
    await flush();
  }
}

async function until(clock: VirtualClock, condition: () => boolean, limitMs: number): Promise<number> {
  const start = clock.now();
  while (!condition()) {
    if (clock.now() - start > limitMs)
      throw new Error(`condition not met within ${limitMs} ms of virtual time`);
    await run(clock, 10);
  }
  return clock.now() - start;
}

/** A STUN server answering Binding requests with the source address (RFC 8489 §7.3). */
function startStunServer(network: VirtualNetwork, address: string) {
  const socket = network.bind(address, 3478);
  socket.onMessage((data, from) => {
    const request = decodeStunMessage(data);
    const response = createStunMessage(StunMethod.Binding, 'success', request.transactionId);
    addAttribute(response, XOR_MAPPED_ADDRESS, { family: 'IPv4', ...from });
    socket.send(encodeStunMessage(response, { fingerprint: true }), from.address, from.port);
  });
  return socket;
}

interface Peer {
  agent: IceAgent;
  states: IceConnectionState[];
  candidates: (IceCandidate | undefined)[];
  received: Uint8Array[];
}

function makePeer(
  clock: VirtualClock,
  network: VirtualNetwork,
  addresses: string[],
  options: IceAgentOptions = {},
  names?: Map<string, string>,
): Peer {
  const agent = new IceAgent({
    clock,
    transport: new VirtualIceTransport(network, addresses, names),
    random: () => 0.5,
    ...options,
  });
  const peer: Peer = { agent, states: [], candidates: [], received: [] };
  agent.on('statechange', (state) => peer.states.push(state));
  agent.on('candidate', (candidate) => peer.candidates.push(candidate));
  agent.on('data', (data) => peer.received.push(data));
  return peer;
}

/** In-memory signaling: credentials both ways and every candidate trickled as it comes. */
function signal(a: Peer, b: Peer, rewrite: (c: IceCandidate) => IceCandidate = (c) => c): void {
  a.agent.on('candidate', (c) => b.agent.addRemoteCandidate(c && rewrite(c)));
  b.agent.on('candidate', (c) => a.agent.addRemoteCandidate(c && rewrite(c)));
  a.agent.setRemoteParameters(b.agent.localParameters);
  b.agent.setRemoteParameters(a.agent.localParameters);
}

/** Two agents, `a` controlling and `b` controlled unless the options say otherwise, signalled and gathering. */
function startPair(
  clock: VirtualClock,
  network: VirtualNetwork,
  aAddresses: string[],
  bAddresses: string[],
  aOptions: IceAgentOptions = {},
  bOptions: IceAgentOptions = { role: 'controlled' },
): { a: Peer; b: Peer } {
  const a = makePeer(clock, network, aAddresses, aOptions);
  const b = makePeer(clock, network, bAddresses, bOptions);
  signal(a, b);
  void a.agent.gather();
  void b.agent.gather();
  return { a, b };
}

const connected = (p: Peer) => p.agent.state === 'connected' || p.agent.state === 'completed';
/** Connected on a nominated pair (ICE is connected earlier, on the best valid pair: RFC 8445 §12.1). */
const selected = (p: Peer) => connected(p) && p.agent.selectedPair !== undefined;

function setup(seed = 1) {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, seed, defaultLink: { delayMs: 5 } });
  return { clock, network };
}

test('two agents connect, complete, select the same pair and carry data both ways', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1', '2001:db8::1'], ['192.0.2.2', '2001:db8::2']);
  const took = await until(clock, () => a.agent.state === 'completed' && b.agent.state === 'completed', 5000);
  assert.ok(took < 2000, `completed in ${took} ms of virtual time`);
  const pa = a.agent.selectedPair!;
  const pb = b.agent.selectedPair!;
  assert.equal(pa.remote.address, pb.local.candidate.address);
  assert.equal(pa.local.candidate.port, pb.remote.candidate.port);
  assert.equal(pa.local.candidate.address, '2001:db8::1', 'IPv6 is preferred (RFC 8421)');
  assert.deepEqual(a.states, ['checking', 'connected', 'completed']);
  assert.ok(a.agent.send(new Uint8Array([0x80, 1])));
  assert.ok(b.agent.send(new Uint8Array([0x80, 2])));
  await run(clock, 20);
  assert.deepEqual(
    b.received.map((d) => d[1]),
    [1],
  );
  assert.deepEqual(
    a.received.map((d) => d[1]),
    [2],
  );
  // Host candidates of both families, then end-of-candidates.
  assert.deepEqual(
    a.candidates.map((c) => c?.type),
    ['host', 'host', undefined],
  );
  a.agent.close();
  b.agent.close();
  assert.equal(a.agent.state, 'closed');
});

test('before nomination, data goes on the best valid pair and the agent is already connected', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1'], ['192.0.2.2']);
  // One check round trip over 5 ms links; the nominating check waits for the next Ta (50 ms).
  const took = await until(clock, () => connected(a) && connected(b), 1000);
  assert.ok(took < 30, `connected after ${took} ms of virtual time`);
  const selectedRemote = (p: Peer) => p.agent.selectedPair?.remote.address;
  assert.equal(selectedRemote(a), undefined, 'not nominated yet');
  assert.ok(a.agent.send(new Uint8Array([0x80, 7])), 'RFC 8445 §12.1: data may use any valid pair');
  await run(clock, 10);
  assert.deepEqual(
    b.received.map((d) => d[1]),
    [7],
  );
  await until(clock, () => selected(a) && selected(b), 1000);
  assert.equal(selectedRemote(a), '192.0.2.2');
  a.agent.close();
  b.agent.close();
});

test('STUN servers that refuse or stay silent raise candidateerror; gathering still completes', async () => {
  const { clock, network } = setup();
  const refusing = network.bind('198.51.100.2', 3478);
  refusing.onMessage((data, from) => {
    const request = decodeStunMessage(data);
    const response = createStunMessage(StunMethod.Binding, 'error', request.transactionId);
    addAttribute(response, ERROR_CODE, { code: 403, reason: 'Forbidden' });
    refusing.send(encodeStunMessage(response), from.address, from.port);
  });
  const iceServers = [{ urls: ['stun:198.51.100.2:3478', 'stun:198.51.100.9:3478'] }];
  const a = makePeer(clock, network, ['10.0.0.1'], { iceServers });
  const errors: IceCandidateError[] = [];
  a.agent.on('candidateerror', (error) => errors.push(error));
  void a.agent.gather();
  await until(clock, () => a.agent.gatheringState === 'complete', 20_000);
  assert.deepEqual(
    errors.map(({ url, errorCode, address }) => ({ url, errorCode, address })),
    [
      { url: 'stun:198.51.100.2:3478', errorCode: 403, address: '10.0.0.1' },
      // W3C webrtc-pc §4.8.2: 701 when the server could not be reached.
      { url: 'stun:198.51.100.9:3478', errorCode: 701, address: '10.0.0.1' },
    ],
  );
  assert.equal(errors[0]?.errorText, 'Forbidden');
  assert.deepEqual(
    a.candidates.map((c) => c?.type),
    ['host', undefined],
  );
  a.agent.close();
});

test('connects over a lossy, reordering network, deterministically', async () => {
  const outcome = async (seed: number) => {
    const { clock, network } = setup(seed);
    network.setDefaultLink({ loss: 0.3, delayMs: 20, jitterMs: 30 });
    const { a, b } = startPair(clock, network, ['192.0.2.1', '192.0.2.11'], ['192.0.2.2']);
    const took = await until(clock, () => selected(a) && selected(b), 30_000);
    const pair = a.agent.selectedPair!;
    a.agent.close();
    b.agent.close();
    return {
      took,
      selected: `${pair.local.candidate.address}>${pair.remote.address}`,
      checks: a.agent.counters.checksSent,
    };
  };
  const first = await outcome(7);
  assert.deepEqual(await outcome(7), first, 'same seed, same run');
});

const natCases: [string, NatBehavior, NatBehavior, NatBehavior, NatBehavior, boolean][] = [
  [
    'both behind port-restricted cone NATs',
    'endpoint-independent',
    'address-port-dependent',
    'endpoint-independent',
    'address-port-dependent',
    true,
  ],
  [
    'symmetric NAT against a full-cone NAT',
    'address-port-dependent',
    'address-port-dependent',
    'endpoint-independent',
    'endpoint-independent',
    true,
  ],
  [
    'symmetric NATs on both sides (needs a relay)',
    'address-port-dependent',
    'address-port-dependent',
    'address-port-dependent',
    'address-port-dependent',
    false,
  ],
];

for (const [name, mapA, filterA, mapB, filterB, succeeds] of natCases) {
  test(`NAT traversal: ${name}`, async () => {
    const { clock, network } = setup();
    startStunServer(network, '198.51.100.1');
    network.addNat({
      publicAddress: '203.0.113.1',
      insideAddresses: ['10.0.0.1'],
      mapping: mapA,
      filtering: filterA,
    });
    network.addNat({
      publicAddress: '203.0.113.2',
      insideAddresses: ['10.1.0.1'],
      mapping: mapB,
      filtering: filterB,
    });
    const iceServers = [{ urls: 'stun:198.51.100.1:3478' }];
    const { a, b } = startPair(
      clock,
      network,
      ['10.0.0.1'],
      ['10.1.0.1'],
      { iceServers, checkMaxTransmissions: 4 },
      {
        iceServers,
        role: 'controlled',
        checkMaxTransmissions: 4,
      },
    );
    if (succeeds) {
      await until(clock, () => selected(a) && selected(b), 20_000);
      const srflx = a.candidates.find((c) => c?.type === 'srflx');
      assert.equal(srflx?.address, '203.0.113.1');
      assert.equal(srflx?.relatedAddress, '10.0.0.1');
      assert.ok(a.agent.send(new Uint8Array([0x80, 9])));
      await run(clock, 50);
      assert.equal(b.received.length, 1);
    } else {
      await until(clock, () => a.agent.state === 'failed' && b.agent.state === 'failed', 60_000);
      assert.equal(a.agent.selectedPair, undefined);
    }
    a.agent.close();
    b.agent.close();
  });
}

for (const role of ['controlling', 'controlled'] as const) {
  test(`role conflict with both agents ${role} is repaired by the tie-breaker`, async () => {
    const { clock, network } = setup();
    const { a, b } = startPair(
      clock,
      network,
      ['192.0.2.1'],
      ['192.0.2.2'],
      { role, tieBreaker: 10n },
      { role, tieBreaker: 20n },
    );
    await until(clock, () => selected(a) && selected(b), 10_000);
    // RFC 8445 §7.3.1.1: the larger tie-breaker ends up controlling.
    assert.equal(b.agent.role, 'controlling');
    assert.equal(a.agent.role, 'controlled');
    assert.ok(a.agent.counters.roleConflicts + b.agent.counters.roleConflicts > 0);
    a.agent.close();
    b.agent.close();
  });
}

test('consent: silence makes the agent disconnected, then failed after 30 s, and it stops sending', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1'], ['192.0.2.2']);
  await until(clock, () => selected(a) && selected(b), 5000);
  // Consent checks keep the pair alive for a long quiet time.
  await run(clock, 60_000, 100);
  assert.equal(a.agent.state, 'completed');
  network.setLinks('192.0.2.1', '192.0.2.2', { loss: 1 });
  const lostAt = clock.now();
  await until(clock, () => a.agent.state === 'disconnected', 15_000);
  const disconnectedAfter = clock.now() - lostAt;
  assert.ok(
    disconnectedAfter >= 2500 && disconnectedAfter <= 13_000,
    `disconnected after ${disconnectedAfter} ms`,
  );
  await until(clock, () => a.agent.state === 'failed', 40_000);
  const failedAfter = clock.now() - lostAt;
  assert.ok(failedAfter >= 25_000 && failedAfter <= 36_000, `failed after ${failedAfter} ms`);
  assert.equal(a.agent.send(new Uint8Array([0x80])), false);
  a.agent.close();
  b.agent.close();
});

test('consent: a short outage is disconnected, then connected again', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1'], ['192.0.2.2']);
  await until(clock, () => selected(a), 5000);
  network.setLinks('192.0.2.1', '192.0.2.2', { loss: 1 });
  await until(clock, () => a.agent.state === 'disconnected', 15_000);
  network.setLinks('192.0.2.1', '192.0.2.2', {});
  await until(clock, () => connected(a), 10_000);
  assert.deepEqual(a.states.slice(-2), ['disconnected', 'completed']);
  a.agent.close();
  b.agent.close();
});

test('ICE restart: new credentials, data keeps flowing, a new pair is selected', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1', '192.0.2.11'], ['192.0.2.2']);
  await until(clock, () => selected(a) && selected(b), 5000);
  const before = a.agent.localParameters;
  // Take the first path down: the restart must find the other one.
  const first = a.agent.selectedPair!.local.candidate.address;
  void a.agent.restart();
  void b.agent.restart();
  assert.notDeepEqual(a.agent.localParameters, before);
  assert.ok(a.agent.send(new Uint8Array([0x80, 5])), 'the old pair carries data during the restart');
  await run(clock, 20);
  assert.equal(b.received.length, 1);
  network.setLinks(first, '192.0.2.2', { loss: 1 });
  a.agent.setRemoteParameters(b.agent.localParameters);
  b.agent.setRemoteParameters(a.agent.localParameters);
  await until(clock, () => a.agent.selectedPair !== undefined && b.agent.selectedPair !== undefined, 20_000);
  await until(clock, () => selected(a) && selected(b), 5000);
  assert.notEqual(a.agent.selectedPair!.local.candidate.address, first);
  a.agent.close();
  b.agent.close();
});

test('mDNS host names: resolved when possible, otherwise learnt as peer-reflexive', async () => {
  for (const resolvable of [true, false]) {
    const { clock, network } = setup();
    const names = new Map([['0d5f0c4e-1111-4222-8333-444455556666.local', '192.0.2.2']]);
    const a = makePeer(clock, network, ['192.0.2.1'], {}, resolvable ? names : new Map());
    const b = makePeer(clock, network, ['192.0.2.2'], { role: 'controlled' });
    // b hides its address the way browsers do.
    a.agent.setRemoteParameters(b.agent.localParameters);
    b.agent.setRemoteParameters(a.agent.localParameters);
    a.agent.on('candidate', (c) => b.agent.addRemoteCandidate(c));
    b.agent.on('candidate', (c) =>
      a.agent.addRemoteCandidate(c && { ...c, address: '0d5f0c4e-1111-4222-8333-444455556666.local' }),
    );
    void a.agent.gather();
    void b.agent.gather();
    await until(clock, () => selected(a) && selected(b), 10_000);
    assert.equal(a.agent.counters.mdnsResolved, resolvable ? 1 : 0);
    assert.equal(a.agent.counters.mdnsUnresolved, resolvable ? 0 : 1);
    assert.equal(a.agent.selectedPair!.remote.candidate.type, resolvable ? 'host' : 'prflx');
    a.agent.close();
    b.agent.close();
  }
});

test('checks that arrive before the peer credentials are answered and used later', async () => {
  const { clock, network } = setup();
  const a = makePeer(clock, network, ['192.0.2.1']);
  const b = makePeer(clock, network, ['192.0.2.2'], { role: 'controlled' });
  a.agent.on('candidate', (c) => b.agent.addRemoteCandidate(c));
  b.agent.on('candidate', (c) => a.agent.addRemoteCandidate(c));
  a.agent.setRemoteParameters(b.agent.localParameters);
  void a.agent.gather();
  void b.agent.gather();
  await run(clock, 300);
  assert.ok(b.agent.counters.checksReceived > 0);
  assert.equal(b.agent.state, 'new');
  b.agent.setRemoteParameters(a.agent.localParameters);
  await until(clock, () => selected(a) && selected(b), 5000);
  a.agent.close();
  b.agent.close();
});

test('malformed and unauthenticated STUN is dropped and counted; the agent keeps working', async () => {
  const { clock, network } = setup();
  const { a, b } = startPair(clock, network, ['192.0.2.1'], ['192.0.2.2']);
  await run(clock, 1);
  const target = a.candidates.find((c) => c?.type === 'host')!;
  const attacker = network.bind('192.0.2.66', 4444);
  const garbage = [
    new Uint8Array([0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, ...new Array(12).fill(0), 0, 6, 0, 9]),
    new Uint8Array([0, 1, 0, 0, 0x21, 0x12, 0xa4]),
    encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'), { fingerprint: true }).map((x, i) =>
      i === 25 ? x ^ 1 : x,
    ),
  ];
  for (const packet of garbage) attacker.send(packet, target.address, target.port);
  const unsigned = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'));
  attacker.send(unsigned, target.address, target.port);
  const answers: number[] = [];
  attacker.onMessage((data) => answers.push(data[1]!));
  await until(clock, () => selected(a) && selected(b), 5000);
  assert.equal(a.agent.counters.malformedStun, 3);
  assert.equal(a.agent.counters.unauthenticatedStun, 1);
  assert.deepEqual(answers, [0x11], 'a 400 error response (class error) to the unsigned request');
  a.agent.close();
  b.agent.close();
});

test('gathering: loopback only when asked, IPv6 optional, redundant server-reflexive candidates dropped', async () => {
  const { clock, network } = setup();
  startStunServer(network, '198.51.100.1');
  const iceServers = [{ urls: ['stun:198.51.100.1', 'turn:198.51.100.1?transport=udp'] }];
  const plain = makePeer(clock, network, ['127.0.0.1', '192.0.2.1', '2001:db8::1'], {
    iceServers,
    ipv6: false,
  });
  const states: string[] = [];
  plain.agent.on('gatheringstatechange', (state) => states.push(state));
  const done = plain.agent.gather();
  await run(clock, 5000);
  await done;
  // 192.0.2.1 is public here: the STUN server sees the host address itself (RFC 8445 §5.1.3).
  assert.deepEqual(
    plain.candidates.map((c) => c && `${c.type} ${c.address}`),
    ['host 192.0.2.1', undefined],
  );
  assert.deepEqual(states, ['gathering', 'complete']);
  const loop = makePeer(clock, network, ['127.0.0.1', '::1'], { includeLoopback: true });
  void loop.agent.gather();
  await run(clock, 10);
  const [v6, v4] = loop.candidates;
  assert.deepEqual([v6?.address, v4?.address], ['::1', '127.0.0.1']);
  assert.ok(v6!.priority > v4!.priority, 'distinct local preferences, IPv6 first');
  assert.notEqual(v6!.foundation, v4!.foundation);
  plain.agent.close();
  loop.agent.close();
});

test('relay-only policy without a reachable TURN server gathers nothing and still completes', async () => {
  const { clock, network } = setup();
  const peer = makePeer(clock, network, ['192.0.2.1'], {
    iceTransportPolicy: 'relay',
    iceServers: [{ urls: 'turn:198.51.100.9', username: 'u', credential: 'p' }],
  });
  const done = peer.agent.gather();
  await run(clock, 100);
  await done;
  assert.deepEqual(peer.candidates, [undefined], 'no host candidate leaks under the relay policy');
  assert.equal(peer.agent.gatheringState, 'complete');
  peer.agent.close();
});
