/**
 * The terminal's side of a file transfer's connection: the client SDK (joinRoom) with npm `ws` and Dyad's
 * own RTCPeerConnection, the negotiated `dyad-files` channel on every new peer connection
 * (docs/file-transfer.md §1), and the pairing proof (§9) in front of the transfer engine.
 */
import WebSocket from 'ws';
import {
  DyadCall,
  FILE_TRANSFER_CHANNEL_LABEL,
  type FileTransferEndpoint,
  FileTransferProtocolError,
  type FileTransport,
  type PeerConnectionConstructor,
  ProofGate,
  type ProofRole,
  safetyCodeOf,
  type WebSocketConstructor,
} from '../client/index.ts';
import { NodeIceTransport } from '../ice/index.ts';
import { type RTCConfiguration, type RTCDataChannel, RTCPeerConnection } from '../peer/index.ts';
import { UserError } from './errors.ts';

const FILES_CHANNEL_ID = 1;
const JOIN_TIMEOUT_MS = 15_000;
/** W3C webrtc-pc §6.2 bufferedamountlow: refill the channel when it falls to this (as the web app does). */
const LOW_WATER_BYTES = 256 * 1024;

/**
 * DYAD_LOOPBACK=1 keeps everything on 127.0.0.1 (the signaling server of `dyad send`, the ICE candidates,
 * no multicast DNS): for tests and for two terminals on one machine with no network.
 */
export function loopbackOnly(): boolean {
  return process.env.DYAD_LOOPBACK === '1';
}

class LoopbackIceTransport extends NodeIceTransport {
  constructor() {
    super({ mdns: false });
  }

  override interfaces() {
    return super.interfaces().filter((address) => address.internal);
  }
}

class LoopbackPeerConnection extends RTCPeerConnection {
  constructor(configuration?: RTCConfiguration) {
    super(configuration, { iceTransport: new LoopbackIceTransport(), includeLoopback: true });
  }
}

export interface TransferConnectionOptions {
  wsUrl: string;
  room: string;
  secret: string;
  role: ProofRole;
  endpoint: FileTransferEndpoint;
  token?: string;
  /** ICE servers; undefined asks the signaling server (`getIceServerConfig`). */
  iceServers?: RTCIceServer[];
  /** Only TURN relay candidates (W3C iceTransportPolicy `relay`): neither side learns the other's address. */
  relayOnly?: boolean;
  onProtocolError(error: FileTransferProtocolError): void;
  /** The channel opened and both sides proved the secret; `safetyCode` as docs/safety-code.md derives it. */
  onProven(safetyCode: string | undefined): void;
  onChannelClosed(): void;
}

function channelTransport(channel: RTCDataChannel, pc: RTCPeerConnection): FileTransport {
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  return {
    maxMessageSize: pc.sctp?.maxMessageSize,
    send(data) {
      if (channel.readyState !== 'open') return;
      channel.send(data as string & Uint8Array<ArrayBuffer>);
    },
    bufferedAmount: () => channel.bufferedAmount,
    drained: () =>
      new Promise<void>((resolve) => {
        if (channel.bufferedAmount <= LOW_WATER_BYTES || channel.readyState !== 'open') {
          resolve();
          return;
        }
        const done = () => {
          channel.removeEventListener('bufferedamountlow', done);
          channel.removeEventListener('close', done);
          resolve();
        };
        channel.addEventListener('bufferedamountlow', done);
        channel.addEventListener('close', done);
      }),
  };
}

function wireChannel(pc: RTCPeerConnection, options: TransferConnectionOptions): void {
  const channel = pc.createDataChannel(FILE_TRANSFER_CHANNEL_LABEL, {
    negotiated: true,
    id: FILES_CHANNEL_ID,
  });
  channel.binaryType = 'arraybuffer';
  const descriptions = () => ({
    local: pc.currentLocalDescription?.sdp ?? pc.localDescription?.sdp ?? '',
    remote: pc.currentRemoteDescription?.sdp ?? pc.remoteDescription?.sdp ?? '',
  });
  const endpoint: FileTransferEndpoint = {
    attach(transport) {
      const { local, remote } = descriptions();
      options.onProven(safetyCodeOf(local, remote));
      options.endpoint.attach(transport);
    },
    detach: () => options.endpoint.detach(),
    handleMessage: (message) => options.endpoint.handleMessage(message),
    ...(options.endpoint.handleChunk && {
      handleChunk: (frame) => options.endpoint.handleChunk?.(frame),
    }),
  };
  // Created with the channel, so that a proof arriving before this side's `open` is kept, not lost.
  const gate = new ProofGate(options.role, options.secret, options.room, endpoint, (error) => {
    options.onProtocolError(error);
    channel.close();
  });
  channel.addEventListener('open', () => {
    const { local, remote } = descriptions();
    gate.open(channelTransport(channel, pc), local, remote);
  });
  channel.addEventListener('close', () => {
    gate.close();
    options.onChannelClosed();
  });
  channel.addEventListener('message', (event) => {
    try {
      gate.receive((event as MessageEvent<string | ArrayBuffer>).data);
    } catch (error) {
      if (!(error instanceof FileTransferProtocolError)) throw error;
      options.onProtocolError(error);
    }
  });
}

/** Joins the transfer's room; settles when the server confirmed the join. */
export async function joinTransfer(options: TransferConnectionOptions): Promise<DyadCall> {
  const PeerConnection = loopbackOnly() ? LoopbackPeerConnection : RTCPeerConnection;
  const call = new DyadCall(options.wsUrl, options.room, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    RTCPeerConnection: PeerConnection as unknown as PeerConnectionConstructor,
    ...(options.iceServers && { iceServers: options.iceServers }),
    ...(options.token && { token: options.token }),
    ...(options.relayOnly && { peerConnectionConfig: { iceTransportPolicy: 'relay' as const } }),
    createDataChannels: (pc) => wireChannel(pc as unknown as RTCPeerConnection, options),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // The SDK retries an unreachable server for ever; a command that was just typed should say so soon.
    await Promise.race([
      call.join(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in 15 s')), JOIN_TIMEOUT_MS);
      }),
    ]);
    return call;
  } catch (error) {
    call.leave();
    const definition = (error as Error).message;
    if (/room_full|roomFull/i.test(String(definition)))
      throw new UserError(
        'Someone else is already connected to this transfer: a code or link works for one receiver at a time.',
      );
    if (/unauthorized|token/i.test(String(definition)))
      throw new UserError('The signaling server refused to join: it needs a valid --token for this room.');
    throw new UserError(
      `Could not reach the signaling server at ${options.wsUrl} (${definition}): check --server and the network.`,
    );
  } finally {
    clearTimeout(timer);
  }
}
