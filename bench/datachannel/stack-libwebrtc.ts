/** libwebrtc through @roamhq/wrtc (Chromium's WebRTC, M98), as test/peer/native-peers.test.ts uses it. */
import wrtc from '@roamhq/wrtc';
import {
  type BenchPeer,
  installedVersion,
  keepLoopbackUdp,
  type StackAdapter,
  sctpMaxMessageSize,
} from './stacks.ts';

export function loadLibwebrtc(): StackAdapter {
  return {
    description: `@roamhq/wrtc ${installedVersion('@roamhq/wrtc')}`,
    createPeer() {
      const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
      return {
        peer: pc as unknown as BenchPeer,
        close() {
          pc.close();
        },
      };
    },
    // wrtc 0.10 has no bufferedAmountLowThreshold nor bufferedamountlow (setting the threshold is a no-op).
    bufferedAmountLowEvent: false,
    // libwebrtc gathers 127.0.0.1 itself (one socket per address), so it is kept as it is.
    loopbackCandidate: keepLoopbackUdp,
    maxMessageSize: sctpMaxMessageSize,
  };
}
