/**
 * Our RTCPeerConnection, as test/peer/pair.ts makes it for two peers in one process: real UDP sockets on the
 * loopback addresses only, no multicast DNS.
 */
import { RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../../test/support/loopback-ice.ts';
import { type BenchPeer, keepLoopbackUdp, type StackAdapter, sctpMaxMessageSize } from './stacks.ts';

export function loadDyad(): StackAdapter {
  return {
    description: 'dyad (src/peer)',
    createPeer() {
      const transport = new LoopbackIceTransport();
      const pc = new RTCPeerConnection({}, { iceTransport: transport, includeLoopback: true });
      return {
        peer: pc as unknown as BenchPeer,
        close() {
          pc.close();
          // The transport owns the sockets; pc.close() leaves them to whoever made it.
          transport.close();
        },
      };
    },
    bufferedAmountLowEvent: true,
    loopbackCandidate: keepLoopbackUdp,
    maxMessageSize: sctpMaxMessageSize,
  };
}
