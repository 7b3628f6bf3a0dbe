// PeerServer (npm `peer`) as its own bin runs it, minus the console line it prints per connection, so the
// comparison measures relaying rather than terminal output.
import type { AddressInfo } from 'node:net';
import { PeerServer } from 'peer';

PeerServer({ host: '127.0.0.1', port: 0, concurrent_limit: 1_000_000, alive_timeout: 60_000 }, (server) => {
  console.log(`PeerServer listening on ${(server.address() as AddressInfo).port}`);
  process.once('SIGTERM', () => process.exit(0));
});
