/**
 * Two peers of one stack in one process, connected by in-memory signaling: offer/answer and trickled
 * candidates, then one reliable ordered data channel open on both sides.
 */
import type { BenchChannel, BenchPeer, CandidateInit, PeerHandle, StackAdapter } from './stacks.ts';

export interface ConnectedPair {
  offerer: BenchPeer;
  answerer: BenchPeer;
  /** The channel the offerer created, and its other end at the answerer. */
  local: BenchChannel;
  remote: BenchChannel;
  close(): void;
}

/**
 * Trickles `from`'s candidates to `to`, held until `to` has its remote description: addIceCandidate before
 * setRemoteDescription is an error in the W3C API, and the stacks differ in whether they queue.
 */
function trickle(from: BenchPeer, to: BenchPeer, stack: StackAdapter, remoteSet: Promise<void>): void {
  from.addEventListener('icecandidate', (event) => {
    const candidate = (event as { candidate?: Partial<CandidateInit> | null }).candidate;
    if (!candidate?.candidate) return; // end of candidates: nothing to pass on in memory
    // libdatachannel hands out "a=candidate:…", the other stacks want the attribute value alone.
    const text = stack.loopbackCandidate(candidate.candidate.replace(/^a=/, ''));
    if (!text) return;
    const init = {
      candidate: text,
      sdpMid: candidate.sdpMid ?? '0',
      sdpMLineIndex: candidate.sdpMLineIndex ?? 0,
    };
    void remoteSet.then(() => to.addIceCandidate(init)).catch(() => {});
  });
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
    let offererReady!: () => void;
    let answererReady!: () => void;
    trickle(offerer, answerer, stack, new Promise((resolve) => (answererReady = resolve)));
    trickle(answerer, offerer, stack, new Promise((resolve) => (offererReady = resolve)));
    const arrived = once(answerer, 'datachannel');
    const local = offerer.createDataChannel('bench');
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    await answerer.setRemoteDescription(offer);
    answererReady();
    const answer = await answerer.createAnswer();
    await answerer.setLocalDescription(answer);
    await offerer.setRemoteDescription(answer);
    offererReady();
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
