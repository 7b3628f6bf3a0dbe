/**
 * Two peers of one stack in one process, connected by in-memory signaling: offer/answer and trickled
 * candidates, then one reliable ordered data channel open on both sides.
 */
import { signalInMemory } from '../../test/support/signal-in-memory.ts';
import type { BenchChannel, BenchPeer, PeerHandle, StackAdapter } from './stacks.ts';

export interface ConnectedPair {
  offerer: BenchPeer;
  answerer: BenchPeer;
  /** The channel the offerer created, and its other end at the answerer. */
  local: BenchChannel;
  remote: BenchChannel;
  close(): void;
}

function once(target: BenchPeer | BenchChannel, type: string): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (event: unknown) => {
      target.removeEventListener(type, listener);
      resolve(event);
    };
    target.addEventListener(type, listener);
  });
}

async function opened(channel: BenchChannel): Promise<void> {
  if (channel.readyState !== 'open') await once(channel, 'open');
}

/** Both peers are made by the caller's clock start: setup time includes construction (certificates, sockets). */
export async function connectPair(stack: StackAdapter): Promise<ConnectedPair> {
  const handles: PeerHandle[] = [];
  const close = () => {
    for (const handle of handles) handle.close();
  };
  try {
    handles.push(stack.createPeer(), stack.createPeer());
    const [offerer, answerer] = [handles[0]!.peer, handles[1]!.peer];
    const arrived = once(answerer, 'datachannel');
    const local = offerer.createDataChannel('bench');
    await signalInMemory(offerer, answerer, (candidate) => stack.loopbackCandidate(candidate));
    const remote = ((await arrived) as { channel: BenchChannel }).channel;
    await Promise.all([opened(local), opened(remote)]);
    for (const channel of [local, remote]) {
      // Binary messages as ArrayBuffer where the stack has the choice (libdatachannel's default is Blob).
      if ('binaryType' in channel) channel.binaryType = 'arraybuffer';
    }
    return { offerer, answerer, local, remote, close };
  } catch (error) {
    close();
    throw error;
  }
}
