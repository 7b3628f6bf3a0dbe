/** Building the TURN server's responses: RFC 8489 §6.3 (echo the transaction, FINGERPRINT if asked, integrity when authenticated). */
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  findAttribute,
  NONCE,
  REALM,
  StunAttributeType,
  StunErrorReason,
  type StunMessage,
  UNKNOWN_ATTRIBUTES,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import type { ClientConnection } from './allocation.ts';

/** How a request was authenticated; responses are protected the same way (RFC 8489 §9.2.4). */
export interface RequestAuth {
  readonly username: string;
  readonly key: Uint8Array;
  readonly sha256: boolean;
}

export function successResponse(request: DecodedStunMessage): StunMessage {
  return createStunMessage(request.method, 'success', request.transactionId);
}

export function errorResponse(request: DecodedStunMessage, code: number): StunMessage {
  const response = createStunMessage(request.method, 'error', request.transactionId);
  return addAttribute(response, ERROR_CODE, { code, reason: StunErrorReason[code] ?? '' });
}

/** A 420 listing the comprehension-required attributes we do not understand (RFC 8489 §6.3.1.1). */
export function unknownAttributesResponse(request: DecodedStunMessage, unknown: number[]): StunMessage {
  return addAttribute(errorResponse(request, 420), UNKNOWN_ATTRIBUTES, unknown);
}

/** A 401 or 438 challenge: REALM and a fresh NONCE, nothing else, so it stays small (no amplification). */
export function challengeResponse(
  request: DecodedStunMessage,
  code: 401 | 438,
  realm: string,
  nonce: string,
): StunMessage {
  const response = errorResponse(request, code);
  addAttribute(response, REALM, realm);
  return addAttribute(response, NONCE, nonce);
}

export function encodeResponse(
  request: DecodedStunMessage,
  response: StunMessage,
  auth: RequestAuth | undefined,
): Uint8Array {
  const fingerprint = findAttribute(request, StunAttributeType.Fingerprint) !== undefined;
  if (!auth) return encodeStunMessage(response, { fingerprint });
  return encodeStunMessage(
    response,
    auth.sha256 ? { integritySha256Key: auth.key, fingerprint } : { integrityKey: auth.key, fingerprint },
  );
}

/** XOR-MAPPED-ADDRESS: the client's address as the server sees it. */
export function addMapped(response: StunMessage, connection: ClientConnection): StunMessage {
  return addAttribute(response, XOR_MAPPED_ADDRESS, connection.remote);
}
