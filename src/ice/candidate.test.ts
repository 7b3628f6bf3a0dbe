import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  candidatePriority,
  FoundationAllocator,
  isMdnsName,
  localPreferenceOf,
  pairPriority,
} from './candidate.ts';
import { CandidatePair, Checklist } from './checklist.ts';
import type { IceSocket } from './transport.ts';

test('RFC 8445 §5.1.2.1 candidate priorities', () => {
  assert.equal(candidatePriority('host', 65535, 1), 2130706431);
  assert.equal(candidatePriority('srflx', 65535, 1), 1694498815);
  assert.equal(candidatePriority('prflx', 65535, 1), 1862270975);
  assert.equal(candidatePriority('relay', 0, 2), 254);
  assert.equal(localPreferenceOf(candidatePriority('host', 1234, 1)), 1234);
  assert.throws(() => candidatePriority('host', 70000, 1), RangeError);
  assert.throws(() => candidatePriority('host', 1, 0), RangeError);
});

test('RFC 8445 §6.1.2.3 pair priority depends on who controls', () => {
  const g = 2130706431;
  const d = 1694498815;
  assert.equal(pairPriority(g, d), (BigInt(d) << 32n) + 2n * BigInt(g) + 1n);
  assert.equal(pairPriority(d, g), (BigInt(d) << 32n) + 2n * BigInt(g));
  assert.ok(pairPriority(g, d) > pairPriority(d, g));
  // The maximum needs more than 53 bits.
  assert.equal(pairPriority(0xffffffff, 0xffffffff), (0xffffffffn << 32n) + 2n * 0xffffffffn);
});

test('RFC 8445 §5.1.1.3 foundations: equal for same type, base, server and transport', () => {
  const foundations = new FoundationAllocator();
  const a = foundations.foundationFor('host', '192.0.2.1', undefined);
  assert.equal(foundations.foundationFor('host', '192.0.2.1', undefined, 'UDP'), a);
  assert.notEqual(foundations.foundationFor('host', '192.0.2.2', undefined), a);
  assert.notEqual(foundations.foundationFor('srflx', '192.0.2.1', '198.51.100.1'), a);
  assert.notEqual(
    foundations.foundationFor('srflx', '192.0.2.1', '198.51.100.2'),
    foundations.foundationFor('srflx', '192.0.2.1', '198.51.100.1'),
  );
  assert.match(a, /^[A-Za-z0-9+/]{1,32}$/);
});

test('mDNS names are recognized', () => {
  assert.ok(isMdnsName('0d5f0c4e-1111-4222-8333-444455556666.local'));
  assert.ok(isMdnsName('host.LOCAL.'));
  assert.ok(!isMdnsName('192.0.2.1'));
  assert.ok(!isMdnsName('example.com'));
});

const socket = { address: '192.0.2.1', port: 1 } as IceSocket;
const local = (foundation: string, priority: number, port: number) => ({
  socket,
  candidate: {
    foundation,
    component: 1,
    transport: 'udp',
    priority,
    address: '192.0.2.1',
    port,
    type: 'host' as const,
    extensions: [],
  },
});
const remote = (foundation: string, priority: number, port: number) => ({
  address: '192.0.2.9',
  candidate: { ...local(foundation, priority, port).candidate, address: '192.0.2.9' },
});

test('checklist: ordering, frozen pairs per foundation, unfreezing and the pair limit', () => {
  const checklist = new Checklist(3);
  const p1 = checklist.add(new CandidatePair(local('1', 100, 1), remote('a', 100, 1)), 'controlling')!;
  const p2 = checklist.add(new CandidatePair(local('1', 100, 2), remote('a', 100, 2)), 'controlling')!;
  const p3 = checklist.add(new CandidatePair(local('2', 300, 3), remote('b', 300, 3)), 'controlling')!;
  assert.equal(p1.priority, p2.priority);
  assert.equal(checklist.pairs[0], p3);
  // RFC 8838 §11: a second pair of a foundation already waiting starts frozen.
  assert.equal(p1.state, 'waiting');
  assert.equal(p2.state, 'frozen');
  assert.equal(checklist.nextOrdinaryCheck(), p3);
  p3.state = 'in-progress';
  assert.equal(checklist.nextOrdinaryCheck(), p1);
  p1.state = 'succeeded';
  checklist.unfreezeFoundation(p1.foundation);
  assert.equal(p2.state, 'waiting');
  // A fourth pair over the limit of 3 drops the lowest unchecked one.
  const p4 = checklist.add(new CandidatePair(local('3', 50, 4), remote('c', 50, 4)), 'controlling');
  assert.equal(p4, undefined);
  assert.equal(checklist.pairs.length, 3);
  assert.equal(checklist.settled, false);
});
