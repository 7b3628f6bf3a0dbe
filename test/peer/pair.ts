/** Two of our RTCPeerConnections in one process, on real loopback UDP sockets, signaling in memory. */
import { type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';

export interface PeerPair {
  offerer: RTCPeerConnection;
  answerer: RTCPeerConnection;
  close(): void;
}

/** `maxMessageSizes`: each side's a=max-message-size (the largest message it accepts). */
export function createPair(maxMessageSizes: [number?, number?] = []): PeerPair {
  const transports = [new LoopbackIceTransport(), new LoopbackIceTransport()];
  const peer = (i: 0 | 1) =>
    new RTCPeerConnection(
      {},
      {
        iceTransport: transports[i]!,
        includeLoopback: true,
        ...(maxMessageSizes[i] && { maxMessageSize: maxMessageSizes[i] }),
      },
    );
  const offerer = peer(0);
  const answerer = peer(1);
  // Trickle ICE through an in-memory signaling path.
  offerer.addEventListener('icecandidate', (event) => {
    const { candidate } = event as unknown as { candidate: RTCIceCandidateInit | null };
    answerer.addIceCandidate(candidate ?? undefined).catch(() => {});
  });
  answerer.addEventListener('icecandidate', (event) => {
    const { candidate } = event as unknown as { candidate: RTCIceCandidateInit | null };
    offerer.addIceCandidate(candidate ?? undefined).catch(() => {});
  });
  return {
    offerer,
    answerer,
    close() {
      offerer.close();
      answerer.close();
      for (const transport of transports) transport.close();
    },
  };
}

/** One offer/answer exchange started by `offerer`. */
export async function negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection): Promise<void> {
  await offerer.setLocalDescription();
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription();
  await offerer.setRemoteDescription(answerer.localDescription!);
}

export function nextEvent<T extends Event>(target: EventTarget, type: string, limitMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${limitMs} ms`)), limitMs);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as T);
      },
      { once: true },
    );
  });
}

export async function opened(channel: RTCDataChannel): Promise<RTCDataChannel> {
  if (channel.readyState !== 'open') await nextEvent(channel, 'open');
  return channel;
}

export async function remoteChannel(pc: RTCPeerConnection): Promise<RTCDataChannel> {
  const event = await nextEvent<Event & { channel: RTCDataChannel }>(pc, 'datachannel');
  return event.channel;
}
