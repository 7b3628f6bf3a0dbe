/** werift (npm `werift`): WebRTC in TypeScript, the closest peer to Dyad. */
import { RTCPeerConnection } from 'werift';
import { type BenchPeer, installedVersion, keepLoopbackUdp, type StackAdapter } from './stacks.ts';

export function loadWerift(): StackAdapter {
  return {
    description: `werift ${installedVersion('werift')}`,
    createPeer() {
      const pc = new RTCPeerConnection({
        // Sockets bound to 127.0.0.1 and a 127.0.0.1 host candidate: werift skips loopback interfaces when it
        // lists host addresses, so the address is added by hand. IPv6 is off to keep the checks to one pair.
        iceInterfaceAddresses: { udp4: '127.0.0.1' },
        iceAdditionalHostAddresses: ['127.0.0.1'],
        iceUseIpv6: false,
      });
      return {
        peer: pc as unknown as BenchPeer,
        close() {
          void pc.close().catch(() => {});
        },
      };
    },
    bufferedAmountLowEvent: true,
    loopbackCandidate: keepLoopbackUdp,
    maxMessageSize(peer) {
      // werift checks sends against the remote a=max-message-size; 0 there means "no limit" (RFC 8841 §6).
      const sctp = (peer as unknown as RTCPeerConnection).sctpTransport as
        | { remoteMaxMessageSize?: number }
        | undefined;
      const size = sctp?.remoteMaxMessageSize;
      if (size === undefined) return undefined;
      return size === 0 ? Number.POSITIVE_INFINITY : size;
    },
  };
}
