/**
 * Connection setup between two of our peers on loopback, with candidates trickled the way signaling
 * delivers them (held until the receiver has its remote description). ICE lets data flow on the first valid
 * pair (RFC 8445 §12.1), so the DTLS ClientHello can reach the server before the server's own ICE has a
 * valid pair; its answer must then leave as soon as one exists, not after DTLS's 1 s retransmission timer.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { signalInMemory } from '../support/signal-in-memory.ts';
import { opened, remoteChannel } from './pair.ts';

async function setupOnce(): Promise<number> {
  const transports = [new LoopbackIceTransport(), new LoopbackIceTransport()];
  const started = performance.now();
  const [offerer, answerer] = transports.map(
    (iceTransport) => new RTCPeerConnection({}, { iceTransport, includeLoopback: true }),
  ) as [RTCPeerConnection, RTCPeerConnection];
  try {
    const arriving = remoteChannel(answerer);
    const channel: RTCDataChannel = offerer.createDataChannel('setup');
    await signalInMemory(offerer, answerer);
    await Promise.all([opened(channel), arriving.then(opened)]);
    return performance.now() - started;
  } finally {
    offerer.close();
    answerer.close();
    for (const transport of transports) transport.close();
  }
}

test('100 setups on loopback: none waits for a DTLS retransmission', { timeout: 60_000 }, async () => {
  const times: number[] = [];
  for (let i = 0; i < 100; i++) times.push(await setupOnce());
  times.sort((a, b) => a - b);
  console.log(
    `setup: median ${times[50]!.toFixed(1)} ms, p99 ${times[98]!.toFixed(1)} ms, max ${times[99]!.toFixed(1)} ms`,
  );
  // A lost handshake flight costs DTLS's initial 1 s timer (RFC 6347 §4.2.4.1); anything near it is that.
  assert.ok(times[99]! < 800, `slowest setup took ${times[99]!.toFixed(0)} ms`);
});
