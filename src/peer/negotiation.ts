/**
 * The session descriptions an RTCPeerConnection holds (W3C §4.4.1.4 pending and current, local and
 * remote), and the making of new offers and answers from them (RFC 8829 §5.2 and §5.3).
 */
import type { Fingerprint } from '../dtls/index.ts';
import type { IceCandidate, SetupRole } from '../sdp/index.ts';
import {
  answerSetup,
  buildLocalSdp,
  DATA_FORMAT,
  DATA_PROTOCOL,
  DEFAULT_SCTP_PORT,
  type LocalDescriptionParameters,
  type RemoteDescription,
  type SectionSlot,
} from './description.ts';
import type { RTCSdpType } from './signaling-state.ts';

/** A local description: what we wrote, kept as parameters so its candidates can be added later. */
export interface LocalDescription {
  type: Exclude<RTCSdpType, 'rollback'>;
  parameters: LocalDescriptionParameters;
  sdp: string;
}

export interface AppliedRemoteDescription {
  type: Exclude<RTCSdpType, 'rollback'>;
  sdp: string;
  remote: RemoteDescription;
  /** Candidates added by addIceCandidate (undefined: end-of-candidates), replayed after an ICE restart. */
  trickled: (IceCandidate | undefined)[];
}

export interface OfferContext {
  sessionId: string;
  sessionVersion: number;
  /** Sections already negotiated; a new offer repeats them in order (RFC 8829 §5.2.2). */
  negotiated: readonly SectionSlot[];
  wantsData: boolean;
  usernameFragment: string;
  password: string;
  fingerprint: Fingerprint;
  maxMessageSize: number;
  candidates: readonly IceCandidate[];
  endOfCandidates: boolean;
}

/** RFC 8829 §5.2.1 (initial) and §5.2.2 (subsequent offers). */
export function makeOffer(context: OfferContext): LocalDescription {
  const sections = context.negotiated.map((section) => ({ ...section }));
  if (context.wantsData && !sections.some((section) => section.data)) {
    sections.push({
      mid: unusedMid(sections),
      media: 'application',
      protocol: DATA_PROTOCOL,
      formats: [DATA_FORMAT],
      data: true,
    });
  }
  // RFC 8842 §5.2: the offerer says actpass and lets the answerer pick the DTLS role.
  return describe('offer', sections, 'actpass', context);
}

/**
 * RFC 8829 §5.3.1: the answer has the offer's sections in order; we accept the first data section.
 * `dtlsRole`: the role of the DTLS association the offer keeps, which the answer keeps (RFC 8842 §5.5).
 */
export function makeAnswer(
  context: OfferContext,
  offer: RemoteDescription,
  dtlsRole?: 'client' | 'server',
): LocalDescription {
  const sections = offer.sections.map((section) => ({ ...section }));
  const setup = offer.data ? answerSetup(offer.data.setup, dtlsRole) : 'active';
  return describe('answer', sections, setup, context);
}

function describe(
  type: 'offer' | 'answer',
  sections: SectionSlot[],
  setup: SetupRole,
  context: OfferContext,
): LocalDescription {
  const parameters: LocalDescriptionParameters = {
    sessionId: context.sessionId,
    sessionVersion: context.sessionVersion,
    sections,
    usernameFragment: context.usernameFragment,
    password: context.password,
    fingerprints: [context.fingerprint],
    setup,
    sctpPort: DEFAULT_SCTP_PORT,
    maxMessageSize: context.maxMessageSize,
    candidates: context.candidates,
    endOfCandidates: context.endOfCandidates,
  };
  return { type, parameters, sdp: buildLocalSdp(parameters) };
}

function unusedMid(sections: readonly SectionSlot[]): string {
  const used = new Set(sections.map((section) => section.mid));
  let mid = sections.length;
  while (used.has(`${mid}`)) mid++;
  return `${mid}`;
}

/** The data section's mid and m-line index in a local description, if it has one. */
export function dataSectionOf(
  description: LocalDescription | undefined,
): { mid: string; index: number } | undefined {
  const sections = description?.parameters.sections ?? [];
  const index = sections.findIndex((section) => section.data);
  return index < 0 ? undefined : { mid: sections[index]!.mid, index };
}

/**
 * RFC 3264 §6 and RFC 8829 §5.3: an answer has exactly the offer's sections, in order. The data
 * section counts as accepted only when both sides accepted it.
 */
export function answerMatchesOffer(offer: readonly SectionSlot[], answer: readonly SectionSlot[]): boolean {
  return (
    offer.length === answer.length &&
    offer.every((section, i) => section.mid === answer[i]!.mid && section.media === answer[i]!.media)
  );
}

/**
 * W3C §4.4.2: a local description carries the candidates gathered so far, as long as it is of the
 * current ICE generation (its ufrag is the agent's).
 */
export function withCandidates(
  local: LocalDescription,
  currentUfrag: string,
  candidates: readonly IceCandidate[],
  endOfCandidates: boolean,
): string {
  if (local.parameters.usernameFragment !== currentUfrag) return local.sdp;
  return buildLocalSdp({ ...local.parameters, candidates, endOfCandidates });
}
