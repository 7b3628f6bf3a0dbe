/**
 * Two of our agents on real sockets (node:dgram on loopback, the system clock): what production runs,
 * without a browser. Checks the Node transport, pacing in real time and data both ways.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IceAgent } from '../../src/ice/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';

function waitFor(condition: () => boolean, limitMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) resolve();
      else if (Date.now() - started > limitMs) reject(new Error(`not within ${limitMs} ms`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

test('two agents connect over real loopback sockets and exchange datagrams', async (t) => {
  const make = (role: 'controlling' | 'controlled') =>
    new IceAgent({ role, includeLoopback: true, transport: new LoopbackIceTransport() });
  const a = make('controlling');
  const b = make('controlled');
  t.after(() => {
    a.close();
    b.close();
  });
  a.on('candidate', (c) => b.addRemoteCandidate(c));
  b.on('candidate', (c) => a.addRemoteCandidate(c));
  a.setRemoteParameters(b.localParameters);
  b.setRemoteParameters(a.localParameters);
  const started = Date.now();
  await Promise.all([a.gather(), b.gather()]);
  assert.ok(a.localCandidates.every((c) => c.address === '127.0.0.1' || c.address === '::1'));
  await waitFor(() => a.state === 'completed' && b.state === 'completed', 5000);
  const elapsed = Date.now() - started;
  console.log(`loopback agents completed in ${elapsed} ms over ${a.selectedPair?.local.candidate.address}`);
  const received: number[] = [];
  b.on('data', (data) => received.push(data[1]!));
  for (let i = 0; i < 5; i++) assert.ok(a.send(new Uint8Array([0x80, i])));
  await waitFor(() => received.length === 5, 2000);
  assert.deepEqual(received, [0, 1, 2, 3, 4]);
  assert.equal(a.counters.malformedStun + b.counters.malformedStun, 0);
});
