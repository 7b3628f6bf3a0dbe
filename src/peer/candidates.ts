/**
 * Candidates between the ICE agent and the API: the checks W3C §4.4.1.6 (addIceCandidate) makes on a
 * remote candidate, and the RTCIceCandidate form of our own.
 */
import { type IceCandidate, parseCandidate, serializeCandidate } from '../sdp/index.ts';
import type { RemoteDescription } from './description.ts';
import { RTCIceCandidate, type RTCIceCandidateInit } from './session-description.ts';
import { invalidState } from './signaling-state.ts';

/** Synchronous checks before the operation is chained: a candidate must name its section. */
export function checkCandidateInit(init: RTCIceCandidateInit): void {
  if (
    (init.candidate ?? '') !== '' &&
    (init.sdpMid ?? null) === null &&
    (init.sdpMLineIndex ?? null) === null
  )
    throw new TypeError('sdpMid and sdpMLineIndex are both null');
}

/**
 * W3C §4.4.1.6 addIceCandidate: the section must exist (OperationError), the ufrag must be the current
 * one (OperationError), and the candidate must parse (OperationError). Returns the candidate, or
 * undefined for end-of-candidates (RFC 8838 §4.2, an empty candidate string).
 */
export function resolveRemoteCandidate(
  remote: RemoteDescription | undefined,
  init: RTCIceCandidateInit,
): IceCandidate | undefined {
  if (!remote) throw invalidState('no remote description');
  const { sdpMid = null, sdpMLineIndex = null, usernameFragment = null } = init;
  const sections = remote.sections;
  if (sdpMid !== null && !sections.some((s) => s.mid === sdpMid))
    throw new DOMException(`no section with mid ${sdpMid}`, 'OperationError');
  if (sdpMid === null && sdpMLineIndex !== null && sdpMLineIndex >= sections.length)
    throw new DOMException(`no section ${sdpMLineIndex}`, 'OperationError');
  if (usernameFragment !== null && usernameFragment !== remote.data?.usernameFragment)
    throw new DOMException('candidate of another ICE generation', 'OperationError');
  const text = init.candidate ?? '';
  if (text === '') return undefined;
  try {
    return parseCandidate(text);
  } catch {
    throw new DOMException(`bad candidate ${text}`, 'OperationError');
  }
}

export function candidateObject(
  candidate: IceCandidate,
  mid: string,
  index = 0,
  usernameFragment?: string,
): RTCIceCandidate {
  return new RTCIceCandidate({
    candidate: serializeCandidate(candidate),
    sdpMid: mid,
    sdpMLineIndex: index,
    ...(usernameFragment !== undefined && { usernameFragment }),
  });
}
