/**
 * libdatachannel through node-datachannel's W3C polyfill, as test/peer/native-peers.test.ts uses it. Two of its
 * peers in one process reach ICE "connected" in a few ms but DTLS only after ~1 s: the first DTLS flight is
 * lost and waits for the 1 s retransmission timer, which its setup time shows.
 */
import * as ndc from 'node-datachannel/polyfill';
import { type BenchPeer, installedVersion, type StackAdapter, sctpMaxMessageSize } from './stacks.ts';

export function loadLibdatachannel(): StackAdapter {
  return {
    description: `node-datachannel ${installedVersion('node-datachannel')}`,
    createPeer() {
      const pc = new ndc.RTCPeerConnection({ iceServers: [] });
      return {
        peer: pc as unknown as BenchPeer,
        close() {
          pc.close();
        },
      };
    },
    bufferedAmountLowEvent: true,
    loopbackCandidate(text) {
      if (!/ udp /i.test(text)) return undefined;
      if (/ 127\.0\.0\.1 \d+ typ host/.test(text)) return text;
      // libjuice binds one wildcard socket and announces the LAN address: the same port answers on 127.0.0.1.
      if (/ \d+\.\d+\.\d+\.\d+ \d+ typ host/.test(text))
        return text.replace(/ \d+\.\d+\.\d+\.\d+ (\d+) typ host/, ' 127.0.0.1 $1 typ host');
      return undefined;
    },
    maxMessageSize: sctpMaxMessageSize,
  };
}
