/**
 * getStats' selectedCandidatePairId behind NATs, in virtual time (issue 20, first bug): two of our
 * RTCPeerConnections behind NATs of a VirtualNetwork, with a STUN server on the public side. The pair
 * between the two private host addresses has the highest priority but can never succeed (its checks
 * vanish, as they do on the internet), so data starts on a server-reflexive path before nomination
 * (RFC 8445 §12.1). At every moment the transport's selectedCandidatePairId must name the pair the data
 * goes on, a succeeded one, and once the controlling side has nominated (RFC 8445 §8.1.1) it must be
 * the nominated pair on both sides, and ICE is completed (RFC 8445 §8.1.2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualIceTransport } from '../../src/ice/index.ts';
import { type RTCDataChannel, RTCPeerConnection, type RTCStats } from '../../src/peer/index.ts';
import {
  addAttribute,
  createStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  StunMethod,
  XOR_MAPPED_ADDRESS,
} from '../../src/stun/index.ts';
import { type NatBehavior, VirtualClock, VirtualNetwork } from '../../src/util/index.ts';

const stunAddress = '198.51.100.1';

/** A STUN server answering Binding requests with the source address (RFC 8489 §7.3). */
function startStunServer(network: VirtualNetwork): void {
  const socket = network.bind(stunAddress, 3478);
  socket.onMessage((data, from) => {
    const request = decodeStunMessage(data);
    const response = createStunMessage(StunMethod.Binding, 'success', request.transactionId);
    addAttribute(response, XOR_MAPPED_ADDRESS, { family: 'IPv4', ...from });
    socket.send(encodeStunMessage(response, { fingerprint: true }), from.address, from.port);
  });
}

interface Selected {
  id: string;
  state: string;
  nominated: boolean;
  local: string;
  remote: string;
}

async function selected(pc: RTCPeerConnection): Promise<Selected | undefined> {
  const report = await pc.getStats();
  const transport = [...report.values()].find((s) => s.type === 'transport');
  const id = transport?.selectedCandidatePairId;
  if (typeof id !== 'string') return undefined;
  const pair = report.get(id);
  assert.ok(pair, `selectedCandidatePairId ${id} names a candidate-pair in the report`);
  const end = (stats: RTCStats | undefined) => `${stats?.candidateType} ${stats?.address}:${stats?.port}`;
  return {
    id,
    state: String(pair.state),
    nominated: pair.nominated === true,
    local: end(report.get(String(pair.localCandidateId))),
    remote: end(report.get(String(pair.remoteCandidateId))),
  };
}

type NatKind = { mapping: NatBehavior; filtering: NatBehavior };

function natPair(nats: readonly [NatKind, NatKind]) {
  const clock = new VirtualClock(1_000_000);
  const network = new VirtualNetwork({ clock, seed: 3, defaultLink: { delayMs: 5 } });
  startStunServer(network);
  const sites = [
    { inside: '10.0.0.1', public: '203.0.113.1' },
    { inside: '10.1.0.1', public: '203.0.113.2' },
  ];
  for (const [index, site] of sites.entries()) {
    network.addNat({
      publicAddress: site.public,
      insideAddresses: [site.inside],
      ...nats[index]!,
    });
  }
  const peer = (address: string) =>
    new RTCPeerConnection(
      { iceServers: [{ urls: `stun:${stunAddress}:3478` }] },
      { clock, iceTransport: new VirtualIceTransport(network, [address]) },
    );
  const a = peer(sites[0]!.inside);
  const b = peer(sites[1]!.inside);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    from.addEventListener('icecandidate', (event) => {
      const candidate = (event as Event & { candidate: RTCIceCandidateInit | null }).candidate;
      to.addIceCandidate(candidate ?? undefined).catch(() => {});
    });
  }
  const step = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(5);
  };
  const runUntil = async (done: () => boolean, limitMs: number) => {
    const end = clock.now() + limitMs;
    while (!done()) {
      if (clock.now() >= end) throw new Error(`condition not met within ${limitMs} virtual ms`);
      await step();
    }
  };
  const advance = async (ms: number) => {
    for (const end = clock.now() + ms; clock.now() < end; ) await step();
  };
  return { a, b, sites, runUntil, advance };
}

const portRestricted: NatKind = { mapping: 'endpoint-independent', filtering: 'address-port-dependent' };
const symmetric: NatKind = { mapping: 'address-port-dependent', filtering: 'address-port-dependent' };
const fullCone: NatKind = { mapping: 'endpoint-independent', filtering: 'endpoint-independent' };
const cases: [string, NatKind, NatKind][] = [
  ['two port-restricted cone NATs', portRestricted, portRestricted],
  ['a symmetric NAT against a full-cone NAT', symmetric, fullCone],
];

for (const [name, natA, natB] of cases) {
  test(`behind ${name}, selectedCandidatePairId names the pair carrying data`, async () => {
    const { a, b, sites, runUntil, advance } = natPair([natA, natB]);
    try {
      const channel: RTCDataChannel = a.createDataChannel('lab', { negotiated: true, id: 0 });
      b.createDataChannel('lab', { negotiated: true, id: 0 });
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      await runUntil(() => channel.readyState === 'open', 10_000);

      // The channel is open before nomination: data runs on the best valid pair (RFC 8445 §12.1).
      for (const pc of [a, b]) {
        const pair = await selected(pc);
        assert.ok(pair, 'a selected pair is reported once data flows');
        assert.equal(pair.state, 'succeeded', `the reported pair carries data: ${JSON.stringify(pair)}`);
        assert.doesNotMatch(pair.remote, /^host 10\./, 'not the unreachable private host pair');
      }

      // RFC 8445 §8.1.1: the controlling side (the offerer) completes nomination; both sides agree.
      let final: (Selected | undefined)[] = [];
      const deadline = 5000;
      for (let waited = 0; waited <= deadline; waited += 250) {
        final = await Promise.all([selected(a), selected(b)]);
        if (final.every((pair) => pair?.nominated)) break;
        await advance(250);
      }
      const [atA, atB] = final;
      assert.ok(
        atA?.nominated,
        `the controlling side nominated within ${deadline} ms: ${JSON.stringify(atA)}`,
      );
      assert.ok(atB?.nominated, `the controlled side accepted the nomination: ${JSON.stringify(atB)}`);
      // Each side's remote is the other's NAT: server-reflexive or learnt as peer-reflexive.
      assert.match(atA.remote, new RegExp(`^(srflx|prflx) ${sites[1]!.public}:`));
      assert.match(atB.remote, new RegExp(`^(srflx|prflx) ${sites[0]!.public}:`));
      // RFC 8445 §7.2.5.3.2: the valid pair's local candidate is the mapped address the check revealed.
      assert.match(atA.local, new RegExp(`^(srflx|prflx) ${sites[0]!.public}:`));
      // RFC 8445 §8.1.2: with the pair nominated the checklist is Completed, although the check of the
      // private host pair (higher priority, never answered) is still being retransmitted.
      await runUntil(
        () => a.iceConnectionState === 'completed' && b.iceConnectionState === 'completed',
        1000,
      );
    } finally {
      a.close();
      b.close();
    }
  });
}
