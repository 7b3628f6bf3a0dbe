/**
 * In-memory signaling between two peer connections of any stack (ours, libwebrtc, libdatachannel,
 * werift): candidates trickle as they are gathered but wait until the receiving side has its remote
 * description (addIceCandidate before setRemoteDescription is an error in the W3C API, and stacks differ
 * in whether they queue), and one offer/answer exchange runs.
 */

/** What in-memory signaling needs of a peer connection. */
export interface SignalingPeer {
  // Descriptions only pass from one side to the other, so their exact type does not matter here.
  createOffer(): Promise<unknown>;
  createAnswer(): Promise<unknown>;
  setLocalDescription(description: unknown): Promise<void>;
  setRemoteDescription(description: unknown): Promise<void>;
  addIceCandidate(candidate: {
    candidate: string;
    sdpMid: string | null;
    sdpMLineIndex: number | null;
  }): Promise<void>;
  addEventListener(type: string, listener: (event: unknown) => void): void;
}

/** The candidate as the other side should get it, or undefined to drop it (tests keep to loopback). */
export type CandidateFilter = (candidate: string, from: SignalingPeer) => string | undefined;

function trickle(
  from: SignalingPeer,
  to: SignalingPeer,
  remoteSet: Promise<void>,
  filter: CandidateFilter,
): void {
  from.addEventListener('icecandidate', (event) => {
    const candidate = (event as { candidate?: { candidate?: string; sdpMid?: string | null } | null })
      .candidate;
    if (!candidate?.candidate) return; // end of candidates: nothing to pass on in memory
    // libdatachannel hands out "a=candidate:…"; the others want the attribute value alone.
    const text = filter(candidate.candidate.replace(/^a=/, ''), from);
    if (!text) return;
    const init = { candidate: text, sdpMid: candidate.sdpMid ?? '0', sdpMLineIndex: 0 };
    void remoteSet.then(() => to.addIceCandidate(init)).catch(() => {});
  });
}

/** Trickles candidates both ways and runs one offer/answer exchange started by `offerer`. */
export async function signalInMemory(
  offerer: SignalingPeer,
  answerer: SignalingPeer,
  filter: CandidateFilter = (candidate) => candidate,
): Promise<void> {
  let offererHasRemote = () => {};
  let answererHasRemote = () => {};
  trickle(offerer, answerer, new Promise((resolve) => (answererHasRemote = resolve)), filter);
  trickle(answerer, offerer, new Promise((resolve) => (offererHasRemote = resolve)), filter);
  const offer = await offerer.createOffer();
  await offerer.setLocalDescription(offer);
  await answerer.setRemoteDescription(offer);
  answererHasRemote();
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer);
  await offerer.setRemoteDescription(answer);
  offererHasRemote();
}
