/**
 * Binds the file-transfer protocol engines (src/client/file-transfer) to the call's `dyad-files` data
 * channel: negotiated with a fixed id on both sides, so it exists in every new peer connection without a
 * `datachannel` event, and a reconnect simply attaches the engine to the next one (which resumes).
 */

import type { ChunkFrame, ControlMessage } from '../../../src/client/file-transfer/index.ts';
import {
  decodeFrame,
  FILE_TRANSFER_CHANNEL_LABEL,
  FileTransferProtocolError,
  type FileTransport,
} from '../../../src/client/file-transfer/index.ts';

export const FILES_CHANNEL_ID = 1;
/** The sender refills the channel when bufferedAmount falls to this (W3C webrtc-pc §6.2 bufferedamountlow). */
export const LOW_WATER_BYTES = 256 * 1024;
/** The most the sender lets queue in the channel: a few chunks, never more than a MiB. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ProtocolEndpoint {
  attach(transport: FileTransport): void;
  detach(): void;
  handleMessage(message: ControlMessage): void;
  handleChunk?(frame: ChunkFrame): void;
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

/** Creates the files channel on a new peer connection and wires it to `endpoint`. */
export function openFilesChannel(
  pc: RTCPeerConnection,
  endpoint: ProtocolEndpoint,
  onProtocolError: (error: FileTransferProtocolError) => void,
  onOpenChange: (open: boolean) => void,
): RTCDataChannel {
  const channel = pc.createDataChannel(FILE_TRANSFER_CHANNEL_LABEL, {
    negotiated: true,
    id: FILES_CHANNEL_ID,
  });
  channel.binaryType = 'arraybuffer';
  channel.addEventListener('open', () => {
    endpoint.attach(channelTransport(channel, pc));
    onOpenChange(true);
  });
  channel.addEventListener('close', () => {
    endpoint.detach();
    onOpenChange(false);
  });
  channel.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
    try {
      const frame = decodeFrame(event.data);
      if (frame.kind === 'control') endpoint.handleMessage(frame.message);
      else if (endpoint.handleChunk) endpoint.handleChunk(frame.frame);
      else throw new FileTransferProtocolError('unexpected_chunk', 'the sender received a chunk');
    } catch (error) {
      if (error instanceof FileTransferProtocolError) onProtocolError(error);
      else throw error;
    }
  });
  return channel;
}
