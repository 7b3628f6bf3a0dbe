/**
 * Test support: RTCPeerConnections on a VirtualNetwork in virtual time (for this layer's unit tests and
 * the lossy end-to-end tests), and a driver that advances the clock until a condition holds.
 */
import { VirtualIceTransport } from '../ice/index.ts';
import { type LinkConditions, VirtualClock, VirtualNetwork } from '../util/index.ts';
import { RTCPeerConnection } from './peer-connection.ts';

export interface VirtualPeers {
  clock: VirtualClock;
  network: VirtualNetwork;
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** Another connection on the same network and clock (no trickle wiring: its descriptions carry candidates). */
  addPeer(address: string): RTCPeerConnection;
  /** Advances virtual time in steps, letting promises settle between them, until `done()` or the limit. */
  runUntil(done: () => boolean, limitMs?: number): Promise<void>;
  close(): void;
}

export function virtualPeers(link: LinkConditions = {}, seed = 7): VirtualPeers {
  const clock = new VirtualClock(1_000_000);
  const network = new VirtualNetwork({ clock, seed });
  network.setLinks('10.0.0.1', '10.0.0.2', link);
  const peer = (address: string) =>
    new RTCPeerConnection({}, { clock, iceTransport: new VirtualIceTransport(network, [address]) });
  const extra: RTCPeerConnection[] = [];
  const a = peer('10.0.0.1');
  const b = peer('10.0.0.2');
  // Trickle through an in-memory signaling path.
  a.addEventListener('icecandidate', (event) => {
    b.addIceCandidate(
      (event as Event & { candidate: RTCIceCandidateInit | null }).candidate ?? undefined,
    ).catch(() => {});
  });
  b.addEventListener('icecandidate', (event) => {
    a.addIceCandidate(
      (event as Event & { candidate: RTCIceCandidateInit | null }).candidate ?? undefined,
    ).catch(() => {});
  });
  return {
    clock,
    network,
    a,
    b,
    addPeer(address) {
      const added = peer(address);
      extra.push(added);
      return added;
    },
    async runUntil(done, limitMs = 120_000) {
      const end = clock.now() + limitMs;
      while (!done()) {
        if (clock.now() >= end) throw new Error(`condition not met within ${limitMs} virtual ms`);
        await new Promise((resolve) => setImmediate(resolve));
        clock.advance(5);
      }
    },
    close() {
      a.close();
      b.close();
      for (const added of extra) added.close();
    },
  };
}
