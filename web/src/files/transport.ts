/**
 * Binds the file-transfer protocol engines (src/client/file-transfer) to the call's `dyad-files` data
 * channel: negotiated with a fixed id on both sides, so it exists in every new peer connection without a
 * `datachannel` event, and a reconnect simply attaches the engine to the next one (which resumes). Each
 * channel first carries the pairing proof (docs/file-transfer.md §9): the engine sees nothing, and sends
 * nothing, until the other side proved it holds the link's secret for this very pair of certificates.
 */

import {
  FILE_TRANSFER_CHANNEL_LABEL,
  type FileTransferEndpoint,
  FileTransferProtocolError,
  type FileTransport,
  type Pairing,
  ProofGate,
  type ProofRole,
  safetyCodeOf,
} from '../../../src/client/file-transfer/index.ts';

export const FILES_CHANNEL_ID = 1;
/** The sender refills the channel when bufferedAmount falls to this (W3C webrtc-pc §6.2 bufferedamountlow). */
export const LOW_WATER_BYTES = 256 * 1024;
/** The most the sender lets queue in the channel: a few chunks, never more than a MiB. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

export type ProtocolEndpoint = FileTransferEndpoint;

export interface ProvenChannelOptions {
  role: ProofRole;
  pairing: Pairing;
  /** Both sides proved the secret; the safety code of docs/safety-code.md, for the people to compare. */
  onProven(safetyCode: string | undefined): void;
}

function channelTransport(channel: RTCDataChannel, pc: RTCPeerConnection): FileTransport {
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  return {
    maxMessageSize: pc.sctp?.maxMessageSize,
    send(data) {
      // A closing channel drops what is left; the engine resumes on the next channel.
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

/** Creates the files channel on a new peer connection and wires it, behind the proof, to `endpoint`. */
export function openFilesChannel(
  pc: RTCPeerConnection,
  endpoint: ProtocolEndpoint,
  onProtocolError: (error: FileTransferProtocolError) => void,
  onOpenChange: (open: boolean) => void,
  proof: ProvenChannelOptions,
): RTCDataChannel {
  const channel = pc.createDataChannel(FILE_TRANSFER_CHANNEL_LABEL, {
    negotiated: true,
    id: FILES_CHANNEL_ID,
  });
  channel.binaryType = 'arraybuffer';
  const descriptions = () => ({
    local: pc.currentLocalDescription?.sdp ?? pc.localDescription?.sdp ?? '',
    remote: pc.currentRemoteDescription?.sdp ?? pc.remoteDescription?.sdp ?? '',
  });
  const proven: ProtocolEndpoint = {
    attach(transport) {
      const { local, remote } = descriptions();
      proof.onProven(safetyCodeOf(local, remote));
      endpoint.attach(transport);
    },
    detach: () => endpoint.detach(),
    handleMessage: (message) => endpoint.handleMessage(message),
    ...(endpoint.handleChunk && { handleChunk: (frame) => endpoint.handleChunk?.(frame) }),
  };
  // Created with the channel, so that a proof arriving before this side's `open` is kept, not lost.
  const gate = new ProofGate(proof.role, proof.pairing.secret, proof.pairing.room, proven, (error) => {
    onProtocolError(error);
    channel.close();
  });
  channel.addEventListener('open', () => {
    const { local, remote } = descriptions();
    gate.open(channelTransport(channel, pc), local, remote);
    onOpenChange(true);
  });
  channel.addEventListener('close', () => {
    gate.close();
    onOpenChange(false);
  });
  channel.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
    try {
      gate.receive(event.data);
    } catch (error) {
      if (error instanceof FileTransferProtocolError) onProtocolError(error);
      else throw error;
    }
  });
  return channel;
}
