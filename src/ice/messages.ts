/**
 * The STUN messages of ICE (RFC 8445 §7.2.2, §7.3; RFC 7675): Binding requests carrying the ICE attributes
 * and short-term credentials, their responses, and the checks an incoming request must pass. Pure
 * functions over src/stun's codec; the agent does the I/O.
 */
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  hasAttribute,
  ICE_CONTROLLED,
  ICE_CONTROLLING,
  PRIORITY,
  StunAttributeType,
  type StunEncodeOptions,
  StunErrorReason,
  type StunMessage,
  StunMethod,
  shortTermKey,
  USE_CANDIDATE,
  USERNAME,
  verifyFingerprint,
  verifyMessageIntegrity,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import { addressFamily, type IceEndpoint } from './transport.ts';

export type IceRole = 'controlling' | 'controlled';

export interface CheckRequest {
  /** RFC 8445 §7.2.2: USERNAME is "<remote ufrag>:<local ufrag>". */
  readonly localUfrag: string;
  readonly remoteUfrag: string;
  readonly remotePassword: string;
  /** The priority a peer-reflexive candidate from this base would have (RFC 8445 §7.2.2). */
  readonly priority: number;
  readonly role: IceRole;
  readonly tieBreaker: bigint;
  readonly useCandidate?: boolean;
}

/** A connectivity check (or consent check, RFC 7675 §5.1), with the options that sign it. */
export function buildCheckRequest(check: CheckRequest): { message: StunMessage; options: StunEncodeOptions } {
  const message = createStunMessage(StunMethod.Binding, 'request');
  addAttribute(message, USERNAME, `${check.remoteUfrag}:${check.localUfrag}`);
  addAttribute(message, PRIORITY, check.priority);
  if (check.role === 'controlling') {
    addAttribute(message, ICE_CONTROLLING, check.tieBreaker);
    if (check.useCandidate) addAttribute(message, USE_CANDIDATE, true);
  } else {
    addAttribute(message, ICE_CONTROLLED, check.tieBreaker);
  }
  return { message, options: { integrityKey: shortTermKey(check.remotePassword), fingerprint: true } };
}

/** RFC 8445 §7.3.1 / RFC 8489 §6.3.1.1: a success response carries the source as XOR-MAPPED-ADDRESS. */
export function buildSuccessResponse(
  request: StunMessage,
  source: IceEndpoint,
  localPassword: string,
): Uint8Array {
  const message = createStunMessage(StunMethod.Binding, 'success', request.transactionId);
  addAttribute(message, XOR_MAPPED_ADDRESS, { family: addressFamily(source.address), ...source });
  return encodeStunMessage(message, { integrityKey: shortTermKey(localPassword), fingerprint: true });
}

/**
 * An error response. RFC 8489 §9.1.3: 400 and 401 answers to requests that could not be authenticated
 * carry no MESSAGE-INTEGRITY; the 487 of RFC 8445 §7.3.1.1 does.
 */
export function buildErrorResponse(request: StunMessage, code: number, localPassword?: string): Uint8Array {
  const message = createStunMessage(StunMethod.Binding, 'error', request.transactionId);
  addAttribute(message, ERROR_CODE, { code, reason: StunErrorReason[code] ?? 'Error' });
  return encodeStunMessage(message, {
    ...(localPassword === undefined ? {} : { integrityKey: shortTermKey(localPassword) }),
    fingerprint: true,
  });
}

/** What an authenticated incoming check says. */
export interface IncomingCheck {
  /** The sender's ufrag, the part of USERNAME after the colon. */
  readonly remoteUfrag: string;
  readonly priority: number;
  readonly useCandidate: boolean;
  readonly controlling?: bigint;
  readonly controlled?: bigint;
}

export type AuthenticationResult = { ok: true; check: IncomingCheck } | { ok: false; code: 400 | 401 };

/**
 * RFC 8489 §9.1.3 (short-term credentials) and RFC 8445 §7.3: a check needs USERNAME
 * "<our ufrag>:<theirs>", MESSAGE-INTEGRITY under our password and PRIORITY; else 400 (missing) or 401.
 * May throw StunDecodeError for malformed attribute values.
 */
export function authenticateCheck(
  request: DecodedStunMessage,
  localUfrag: string,
  localPassword: string,
): AuthenticationResult {
  const username = getAttribute(request, USERNAME);
  const priority = getAttribute(request, PRIORITY);
  if (username === undefined || priority === undefined || !hasIntegrity(request))
    return { ok: false, code: 400 };
  const colon = username.indexOf(':');
  if (colon < 0 || username.slice(0, colon) !== localUfrag) return { ok: false, code: 401 };
  if (!verifyMessageIntegrity(request, shortTermKey(localPassword))) return { ok: false, code: 401 };
  const controlling = getAttribute(request, ICE_CONTROLLING);
  const controlled = getAttribute(request, ICE_CONTROLLED);
  return {
    ok: true,
    check: {
      remoteUfrag: username.slice(colon + 1),
      priority,
      useCandidate: hasAttribute(request, USE_CANDIDATE),
      ...(controlling === undefined ? {} : { controlling }),
      ...(controlled === undefined ? {} : { controlled }),
    },
  };
}

function hasIntegrity(message: StunMessage): boolean {
  return message.attributes.some((attribute) => attribute.type === StunAttributeType.MessageIntegrity);
}

/** RFC 8445 §7.2.2: checks carry FINGERPRINT; when present it must be right (RFC 8489 §7.3). */
export function fingerprintAcceptable(message: DecodedStunMessage): boolean {
  return (
    !message.attributes.some((attribute) => attribute.type === StunAttributeType.Fingerprint) ||
    verifyFingerprint(message)
  );
}

/** A response to our check, authenticated with the peer's password (RFC 8489 §9.1.4). */
export function authenticResponse(response: DecodedStunMessage, remotePassword: string): boolean {
  return verifyMessageIntegrity(response, shortTermKey(remotePassword));
}
