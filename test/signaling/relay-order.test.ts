/**
 * The relay's two paths in SignalingService: with rooms in this process and nothing of the socket in
 * flight, a relay is delivered before receive() returns; behind a slower operation (a join) it waits its
 * turn, so the partner always gets a socket's messages in the order they were sent [SDK].
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemoryRoomBackend, type ServerMessage, SignalingService } from '../../src/signaling/index.ts';

function setup() {
  const service = new SignalingService({
    backend: new InMemoryRoomBackend(),
    iceServerConfig: () => ({
      command: 'iceServerConfig',
      stunServerUri: '',
      turnServerUsername: '',
      turnServerCredential: '',
    }),
    validate: () => true,
  });
  const inbox = (list: ServerMessage[]) => (message: ServerMessage) => list.push(message);
  const toA: ServerMessage[] = [];
  const toB: ServerMessage[] = [];
  const a = service.open(inbox(toA));
  const b = service.open(inbox(toB));
  return { service, a, b, toA, toB };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const candidate = (n: number) => ({
  command: 'takeCandidate',
  streamId: 'room',
  label: 0,
  id: '0',
  candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${9000 + n} typ host`,
});

test('an idle socket’s relay is delivered at once; behind a join it keeps its place', async () => {
  const { service, a, b, toA } = setup();
  service.receive(a, { command: 'join', streamId: 'room', mode: 'both' });
  service.receive(b, { command: 'join', streamId: 'room', mode: 'both' });
  await settle();
  toA.length = 0;

  service.receive(b, candidate(1));
  assert.deepEqual(
    toA.map((m) => (m as { candidate?: string }).candidate),
    [candidate(1).candidate],
    'delivered before receive() returned',
  );

  // A duplicate join (answered through the backend's promises) is in flight: what follows queues behind it.
  service.receive(b, { command: 'join', streamId: 'room', mode: 'both' });
  service.receive(b, candidate(2));
  service.receive(b, candidate(3));
  assert.equal(toA.length, 1, 'nothing overtakes the join');
  await settle();
  service.receive(b, candidate(4));
  assert.deepEqual(
    toA.map((m) => (m as { candidate?: string }).candidate),
    [1, 2, 3, 4].map((n) => candidate(n).candidate),
  );
});
