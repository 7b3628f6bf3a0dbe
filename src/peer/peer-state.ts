/**
 * Pure rules of the connection's aggregate states (W3C §4.3.3 RTCPeerConnectionState) and the step that
 * hands a completed negotiation to the transport stack (DTLS role from RFC 8842, SCTP from RFC 8841).
 */
import type { DtlsState } from '../dtls/index.ts';
import type { IceAgent, IceConnectionState } from '../ice/index.ts';
import type { IceCandidate } from '../sdp/index.ts';
import { dtlsRoleFromSetup, type RemoteDescription, sameFingerprints } from './description.ts';
import type { LocalDescription } from './negotiation.ts';
import { type RTCDtlsTransport, RTCSctpTransport } from './rtc-transports.ts';
import type { NegotiatedTransport, TransportStack } from './transports.ts';

export type RTCIceConnectionState = IceConnectionState;
export type RTCIceGatheringState = 'new' | 'gathering' | 'complete';
export type RTCPeerConnectionState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'failed'
  | 'closed';

/**
 * W3C §4.3.3 for the one ICE and DTLS transport of a bundled connection: failed if either failed,
 * disconnected with ICE, new while both are new (or closed), connected when ICE is connected or
 * completed and DTLS connected (or closed), connecting otherwise.
 */
export function connectionStateOf(ice: IceConnectionState, dtls: DtlsState): RTCPeerConnectionState {
  if (ice === 'failed' || dtls === 'failed') return 'failed';
  if (ice === 'disconnected') return 'disconnected';
  const iceIdle = ice === 'new' || ice === 'closed';
  const dtlsIdle = dtls === 'new' || dtls === 'closed';
  if (iceIdle && dtlsIdle) return 'new';
  const iceUp = ice === 'connected' || ice === 'completed' || ice === 'closed';
  if (iceUp && (dtls === 'connected' || dtls === 'closed')) return 'connected';
  return 'connecting';
}

/** W3C §4.4.1.6 (answer or pranswer applied): the SCTP transport exists, DTLS and SCTP get their parameters. */
export function applyTransportNegotiation(
  stack: TransportStack,
  dtlsTransport: RTCDtlsTransport,
  local: LocalDescription,
  remote: RemoteDescription,
): void {
  const remoteData = remote.data;
  const localData = local.parameters.sections.find((section) => section.data);
  if (!remoteData || !localData || localData.mid !== remoteData.mid) return;
  stack.sctp ??= new RTCSctpTransport(dtlsTransport, remoteData.maxMessageSize);
  stack.negotiate({
    dtlsRole: dtlsRoleFromSetup(local.parameters.setup, remoteData.setup),
    remoteFingerprints: remoteData.fingerprints,
    remoteSctpPort: remoteData.sctpPort,
    remoteMaxMessageSize: remoteData.maxMessageSize,
  });
}

/**
 * The peer's ICE credentials and candidates from its description. Roles (RFC 8445 §6.1.1, RFC 8829
 * §5.2.1): the offerer controls, unless one side is ice-lite; they are kept until an ICE restart.
 */
export function applyRemoteIce(
  ice: IceAgent,
  remote: RemoteDescription,
  type: 'offer' | 'answer' | 'pranswer',
  trickled: readonly (IceCandidate | undefined)[] = [],
): void {
  const data = remote.data;
  if (!data) return;
  const previous = ice.remoteParameters;
  const fresh = !previous || previous.usernameFragment !== data.usernameFragment;
  if (fresh && type === 'offer') ice.setRole(remote.iceLite ? 'controlling' : 'controlled');
  if (fresh && remote.iceLite) ice.setRole('controlling');
  ice.setRemoteParameters({ usernameFragment: data.usernameFragment, password: data.password });
  for (const candidate of data.candidates) ice.addRemoteCandidate(candidate);
  if (data.endOfCandidates) ice.addRemoteCandidate(undefined);
  for (const candidate of trickled) ice.addRemoteCandidate(candidate);
}

/**
 * RFC 8842 §5.5: the DTLS role of the running association, when the offer keeps that association (the
 * same fingerprints, so the same peer certificate); the answer keeps the role. Undefined before a role is
 * settled, or when the offer brings a new certificate (a new association, after an ICE restart).
 */
export function keptDtlsRole(
  negotiated: NegotiatedTransport | undefined,
  offer: RemoteDescription,
): 'client' | 'server' | undefined {
  const fingerprints = offer.data?.fingerprints;
  if (!negotiated || !fingerprints) return undefined;
  return sameFingerprints(negotiated.remoteFingerprints, fingerprints) ? negotiated.dtlsRole : undefined;
}
