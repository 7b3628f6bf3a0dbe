/**
 * The browser side of the Node ↔ browser data-channel tests (Chromium and Firefox), bundled with the client SDK by esbuild:
 * joins a room through dyad serve and keeps what arrives on the `chat` channel. Driven via `window.dyadPeer`.
 */
import { type CallErrorEvent, joinRoom } from '../../src/client/index.ts';

export type PeerPageSnapshot = {
  channelState: string;
  connectionState: string;
  texts: string[];
  /** Binary messages as `<length>:<first byte>`. */
  binaries: string[];
  errors: string[];
};

const state = {
  channel: undefined as RTCDataChannel | undefined,
  pc: undefined as RTCPeerConnection | undefined,
  texts: [] as string[],
  binaries: [] as string[],
  errors: [] as string[],
  /** What arrived on the `bulk` channel, hashed once at the end. */
  bulk: [] as Uint8Array[],
  bulkBytes: 0,
};

function adopt(channel: RTCDataChannel): void {
  if (channel.label === 'bulk') {
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', (event) => {
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      state.bulk.push(bytes);
      state.bulkBytes += bytes.length;
    });
    return;
  }
  state.channel = channel;
  channel.binaryType = 'arraybuffer';
  channel.addEventListener('message', (event) => {
    if (typeof event.data === 'string') {
      state.texts.push(event.data);
      // An echo proves the path back to Node.
      if (event.data.startsWith('ping')) channel.send(`echo ${event.data}`);
      return;
    }
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    state.binaries.push(`${bytes.length}:${bytes[0] ?? ''}`);
    channel.send(bytes);
  });
}

const api = {
  async start(wsUrl: string, room: string): Promise<void> {
    const call = await joinRoom(wsUrl, room, {
      iceServers: [],
      createDataChannels: (pc, { offerer }) => {
        state.pc = pc;
        if (offerer) adopt(pc.createDataChannel('chat'));
      },
    });
    call.addEventListener('datachannel', (event) =>
      adopt((event as unknown as { channel: RTCDataChannel }).channel),
    );
    call.addEventListener('error', (event) => state.errors.push((event as CallErrorEvent).definition));
  },
  send(text: string): void {
    state.channel?.send(text);
  },
  bulkBytes(): number {
    return state.bulkBytes;
  },
  /** SHA-256 (hex) of everything the bulk channel carried. */
  async bulkDigest(): Promise<string> {
    const whole = new Uint8Array(state.bulkBytes);
    let offset = 0;
    for (const chunk of state.bulk) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole));
    return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  },
  snapshot(): PeerPageSnapshot {
    return {
      channelState: state.channel?.readyState ?? 'none',
      connectionState: state.pc?.connectionState ?? 'none',
      texts: [...state.texts],
      binaries: [...state.binaries],
      errors: [...state.errors],
    };
  },
};

export type PeerPageApi = typeof api;
(globalThis as unknown as { dyadPeer: PeerPageApi }).dyadPeer = api;
