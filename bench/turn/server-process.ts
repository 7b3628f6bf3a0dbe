// The TURN server under benchmark, in its own process so its CPU time can be measured apart from the load
// generator. Prints its UDP port on stdout; answers 'cpu' over IPC with process.cpuUsage().
import { startTurnServer } from '../../src/turn/index.ts';

const server = await startTurnServer({
  host: '127.0.0.1',
  port: 0,
  tcp: false,
  realm: 'bench',
  staticUsers: new Map([['bench', 'benchpass']]),
  relayPortRange: { min: 49152, max: 57343 },
  allowLoopbackPeers: true,
  quotas: { perUser: 100_000, perSourceAddress: 100_000, total: 100_000 },
  // The load generator is one source sending as fast as it can; the per-source limit would measure itself.
  unauthenticatedRateLimit: { ratePerSecond: Number.POSITIVE_INFINITY, burst: Number.POSITIVE_INFINITY },
});
process.stdout.write(`${JSON.stringify({ port: server.udp.port })}\n`);
// The bench that forked us is gone: so are we.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (message === 'stop') server.close().then(() => process.exit(0));
});
