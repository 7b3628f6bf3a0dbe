/**
 * Offer and answer generation for the data section (RFC 8829 §5.2 and §5.3, RFC 8841 for SCTP over DTLS)
 * and the reading of a remote description: ICE credentials, fingerprints, DTLS setup role, SCTP port and
 * max-message-size, candidates. Media sections of a remote offer are answered rejected (port 0) until
 * media comes in the next part; the data section is bundled alone (RFC 8843).
 */
import {
  type IceCandidate,
  type MediaDescription,
  parseSdp,
  type SdpAttribute,
  SdpParseError,
  type SessionDescription,
  type SetupRole,
  serializeSdp,
} from '../sdp/index.ts';

export const DATA_PROTOCOL = 'UDP/DTLS/SCTP';
export const DATA_FORMAT = 'webrtc-datachannel';
/** RFC 8841 §5: the SCTP port when a=sctp-port is absent; WebRTC uses it everywhere. */
export const DEFAULT_SCTP_PORT = 5000;
/** RFC 8841 §6.1: a peer without a=max-message-size accepts 64 KiB. */
export const DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65536;

/** One m= section as negotiated, kept so later offers repeat the sections in order (RFC 8829 §5.2.2). */
export interface SectionSlot {
  mid: string;
  media: string;
  protocol: string;
  formats: string[];
  /** Ours is the data section; every other section is rejected (port 0). */
  data: boolean;
}

export interface LocalDescriptionParameters {
  sessionId: string;
  sessionVersion: number;
  sections: readonly SectionSlot[];
  usernameFragment: string;
  password: string;
  fingerprints: readonly { algorithm: string; value: string }[];
  setup: SetupRole;
  sctpPort: number;
  maxMessageSize: number;
  candidates: readonly IceCandidate[];
  endOfCandidates: boolean;
}

/** Builds the SDP text of a local offer or answer. */
export function buildLocalSdp(parameters: LocalDescriptionParameters): string {
  const dataMids = parameters.sections.filter((section) => section.data).map((section) => section.mid);
  const sessionAttributes: SdpAttribute[] = [];
  // RFC 8843 §7.1: the accepted sections share one transport, named by a=group:BUNDLE.
  if (dataMids.length > 0) sessionAttributes.push({ type: 'group', semantics: 'BUNDLE', mids: dataMids });
  sessionAttributes.push({ type: 'unknown', name: 'extmap-allow-mixed' });
  sessionAttributes.push({ type: 'unknown', name: 'msid-semantic', value: ' WMS' });
  const description: SessionDescription = {
    version: 0,
    // RFC 8829 §5.2.1: username "-", a random session id below 2^63, version counted up per description.
    origin: {
      username: '-',
      sessionId: parameters.sessionId,
      sessionVersion: `${parameters.sessionVersion}`,
      netType: 'IN',
      addressType: 'IP4',
      address: '127.0.0.1',
    },
    sessionName: '-',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [{ start: '0', stop: '0', repeats: [] }],
    attributes: sessionAttributes,
    media: parameters.sections.map((section) =>
      section.data ? dataSection(section, parameters) : rejectedSection(section),
    ),
  };
  return serializeSdp(description);
}

function dataSection(section: SectionSlot, parameters: LocalDescriptionParameters): MediaDescription {
  const attributes: SdpAttribute[] = [
    { type: 'ice-ufrag', value: parameters.usernameFragment },
    { type: 'ice-pwd', value: parameters.password },
    // RFC 8840 §4.1.3: we accept trickled candidates.
    { type: 'ice-options', options: ['trickle'] },
    ...parameters.fingerprints.map((fingerprint): SdpAttribute => ({ type: 'fingerprint', ...fingerprint })),
    { type: 'setup', role: parameters.setup },
    { type: 'mid', value: section.mid },
    { type: 'sctp-port', port: parameters.sctpPort },
    { type: 'max-message-size', size: parameters.maxMessageSize },
    ...parameters.candidates.map((candidate): SdpAttribute => ({ type: 'candidate', candidate })),
  ];
  if (parameters.endOfCandidates) attributes.push({ type: 'end-of-candidates' });
  // RFC 8829 §5.2.1: port 9 and c=IN IP4 0.0.0.0 until candidates say otherwise (RFC 8840 §4.1.1).
  const first = parameters.candidates[0];
  const ipv6 = first?.address.includes(':') ?? false;
  return {
    media: 'application',
    port: first?.port ?? 9,
    protocol: DATA_PROTOCOL,
    formats: [DATA_FORMAT],
    connections: [{ netType: 'IN', addressType: ipv6 ? 'IP6' : 'IP4', address: first?.address ?? '0.0.0.0' }],
    bandwidths: [],
    attributes,
  };
}

/** RFC 8829 §5.3.1: a rejected section has port 0 and keeps its mid. */
function rejectedSection(section: SectionSlot): MediaDescription {
  return {
    media: section.media,
    port: 0,
    protocol: section.protocol,
    formats: section.formats,
    connections: [{ netType: 'IN', addressType: 'IP4', address: '0.0.0.0' }],
    bandwidths: [],
    attributes: [{ type: 'mid', value: section.mid }],
  };
}

/** What the peer's description says about the data section. */
export interface RemoteDataSection {
  mid: string;
  index: number;
  usernameFragment: string;
  password: string;
  fingerprints: { algorithm: string; value: string }[];
  setup: SetupRole;
  sctpPort: number;
  maxMessageSize: number;
  candidates: IceCandidate[];
  endOfCandidates: boolean;
}

export interface RemoteDescription {
  parsed: SessionDescription;
  sections: SectionSlot[];
  /** The accepted data section, if any. */
  data: RemoteDataSection | undefined;
  iceLite: boolean;
}

/**
 * RFC 9429 §5.11: the peer's DTLS fingerprint may change only together with an ICE restart (new ICE
 * credentials), which is when a new DTLS association can start; in any other renegotiation a changed
 * fingerprint is refused (InvalidAccessError, as browsers do).
 */
export function changesFingerprintWithoutIceRestart(
  previous: RemoteDataSection | undefined,
  next: RemoteDataSection | undefined,
): boolean {
  if (!previous || !next || previous.usernameFragment !== next.usernameFragment) return false;
  return !sameFingerprints(previous.fingerprints, next.fingerprints);
}

type FingerprintLike = { algorithm: string; value: string };

/** Whether two lists of a=fingerprint name the same certificates (algorithm and hex case aside). */
export function sameFingerprints(a: readonly FingerprintLike[], b: readonly FingerprintLike[]): boolean {
  const key = (fingerprint: FingerprintLike) =>
    `${fingerprint.algorithm.toLowerCase()} ${fingerprint.value.toUpperCase()}`;
  const before = new Set(a.map(key));
  const after = new Set(b.map(key));
  return before.size === after.size && [...after].every((fingerprint) => before.has(fingerprint));
}

/**
 * Reads a remote description. SDP syntax errors become RTCError-like `OperationError`s through the caller
 * (`SdpParseError`); content the data section needs but lacks is an InvalidAccessError (W3C §4.4.1.6).
 */
export function readRemoteDescription(sdp: string): RemoteDescription {
  const parsed = parseSdp(sdp);
  const session = parsed.attributes;
  const sections: SectionSlot[] = [];
  let data: RemoteDataSection | undefined;
  parsed.media.forEach((media, index) => {
    const mid = attributeValue(media.attributes, 'mid') ?? `${index}`;
    const isData =
      media.media === 'application' &&
      media.port !== 0 &&
      media.protocol.toUpperCase().endsWith('DTLS/SCTP') &&
      media.formats.includes(DATA_FORMAT) &&
      data === undefined;
    sections.push({
      mid,
      media: media.media,
      protocol: media.protocol,
      formats: media.formats,
      data: isData,
    });
    if (isData) data = readDataSection(media, session, mid, index);
  });
  return { parsed, sections, data, iceLite: session.some((a) => a.type === 'ice-lite') };
}

function readDataSection(
  media: MediaDescription,
  session: SdpAttribute[],
  mid: string,
  index: number,
): RemoteDataSection {
  // RFC 8839 §5.4 and RFC 8122 §5: ICE credentials and fingerprints may sit at session level.
  const usernameFragment =
    attributeValue(media.attributes, 'ice-ufrag') ?? attributeValue(session, 'ice-ufrag');
  const password = attributeValue(media.attributes, 'ice-pwd') ?? attributeValue(session, 'ice-pwd');
  if (!usernameFragment || !password) throw invalidAccess(`section ${mid} has no ICE credentials`);
  // RFC 8839 §5.4: a ufrag is 4 to 256 ice-chars, a password 22 to 256 (W3C §4.4.1.6: InvalidAccessError).
  if (!/^[A-Za-z0-9+/]{4,256}$/.test(usernameFragment))
    throw invalidAccess(`section ${mid} has an invalid a=ice-ufrag`);
  if (!/^[A-Za-z0-9+/]{22,256}$/.test(password))
    throw invalidAccess(`section ${mid} has an invalid a=ice-pwd`);
  let fingerprints = fingerprintsOf(media.attributes);
  if (fingerprints.length === 0) fingerprints = fingerprintsOf(session);
  // RFC 8827 §6.5: without a fingerprint there is no way to authenticate the DTLS peer.
  if (fingerprints.length === 0) throw invalidAccess(`section ${mid} has no a=fingerprint`);
  const setupAttribute =
    media.attributes.find((a) => a.type === 'setup') ?? session.find((a) => a.type === 'setup');
  // RFC 8842 §5.2: a missing a=setup means actpass in an offer and active in an answer; the caller decides.
  const setup = setupAttribute?.type === 'setup' ? setupAttribute.role : 'actpass';
  const port = media.attributes.find((a) => a.type === 'sctp-port');
  const size = media.attributes.find((a) => a.type === 'max-message-size');
  const candidates: IceCandidate[] = [];
  let endOfCandidates = false;
  for (const attribute of media.attributes) {
    if (attribute.type === 'candidate') candidates.push(attribute.candidate);
    else if (attribute.type === 'end-of-candidates') endOfCandidates = true;
  }
  return {
    mid,
    index,
    usernameFragment,
    password,
    fingerprints,
    setup,
    sctpPort: port?.type === 'sctp-port' ? port.port : DEFAULT_SCTP_PORT,
    // RFC 8841 §6.1: 0 means "no limit"; absent means 64 KiB.
    maxMessageSize:
      size?.type === 'max-message-size'
        ? size.size === 0
          ? Number.MAX_SAFE_INTEGER
          : size.size
        : DEFAULT_REMOTE_MAX_MESSAGE_SIZE,
    candidates,
    endOfCandidates,
  };
}

function attributeValue(
  attributes: SdpAttribute[],
  type: 'mid' | 'ice-ufrag' | 'ice-pwd',
): string | undefined {
  const found = attributes.find((a) => a.type === type);
  return found && 'value' in found ? found.value : undefined;
}

function fingerprintsOf(attributes: SdpAttribute[]): { algorithm: string; value: string }[] {
  return attributes.flatMap((a) =>
    a.type === 'fingerprint' ? [{ algorithm: a.algorithm, value: a.value }] : [],
  );
}

/** W3C §4.4.2 canTrickleIceCandidates: the description says a=ice-options:trickle (RFC 8840 §4.1.3). */
export function announcesTrickle({ parsed }: RemoteDescription): boolean {
  const trickle = (attributes: SdpAttribute[]) =>
    attributes.some((a) => a.type === 'ice-options' && a.options.includes('trickle'));
  return trickle(parsed.attributes) || parsed.media.some((media) => trickle(media.attributes));
}

export function invalidAccess(message: string): DOMException {
  return new DOMException(message, 'InvalidAccessError');
}

export function isSdpParseError(error: unknown): error is SdpParseError {
  return error instanceof SdpParseError;
}

/**
 * RFC 8842 §5.3: the answerer of an actpass offer picks active or passive; we take the DTLS client role
 * (active, as RFC 8829 §5.3.1 answers), unless a DTLS association already runs: RFC 8842 §5.5, a
 * subsequent answer keeps the role it has (`established`). An answer to an active offer is passive, to a
 * passive one active. Returns our setup.
 */
export function answerSetup(remoteOfferSetup: SetupRole, established?: 'client' | 'server'): SetupRole {
  if (remoteOfferSetup === 'passive') return 'active';
  if (remoteOfferSetup === 'active') return 'passive';
  return established === 'server' ? 'passive' : 'active';
}

export function dtlsRoleFromSetup(localSetup: SetupRole, remoteSetup: SetupRole): 'client' | 'server' {
  if (localSetup === 'active') return 'client';
  if (localSetup === 'passive') return 'server';
  // We offered actpass: the answer chose. An answer without a=setup is active (RFC 8842 §5.2).
  return remoteSetup === 'passive' ? 'client' : 'server';
}
