/**
 * A minimal TURN client for end-to-end tests of our server on loopback: one request at a time over a UDP
 * socket or a TCP connection, and an Allocate with long-term credentials (401 challenge, then the signed
 * request, RFC 8489 §9.2.5) that returns a signer for the requests that follow.
 */
import assert from 'node:assert/strict';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  longTermKey,
  NONCE,
  REALM,
  type StunMessage,
  StunMethod,
  USERNAME,
} from '../../src/stun/index.ts';
import { REQUESTED_TRANSPORT, StreamFramer } from '../../src/turn/index.ts';

/** Sends one STUN message (with MESSAGE-INTEGRITY when a key is given) and waits for its response. */
export type Exchange = (message: StunMessage, integrityKey?: Uint8Array) => Promise<DecodedStunMessage>;

const encode = (message: StunMessage, integrityKey?: Uint8Array) =>
  encodeStunMessage(message, integrityKey ? { integrityKey } : {});

export function udpExchange(socket: UdpSocket, port: number): Exchange {
  return (message, integrityKey) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no UDP response within 2 s')), 2000);
      const onMessage = (packet: Buffer) => {
        const response = decodeStunMessage(packet);
        if (Buffer.compare(response.transactionId, message.transactionId) !== 0) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(response);
      };
      socket.on('message', onMessage);
      socket.send(encode(message, integrityKey), port, '127.0.0.1');
    });
}

export function tcpExchange(socket: Socket): Exchange {
  const framer = new StreamFramer();
  const waiting: ((frame: Uint8Array) => void)[] = [];
  socket.on('data', (chunk) => {
    for (const frame of framer.push(chunk)) waiting.shift()?.(frame);
  });
  return (message, integrityKey) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no TCP response within 2 s')), 2000);
      waiting.push((frame) => {
        clearTimeout(timer);
        resolve(decodeStunMessage(frame));
      });
      socket.write(encode(message, integrityKey));
    });
}

export const errorCodeOf = (message: DecodedStunMessage) => getAttribute(message, ERROR_CODE)?.code;

export interface TurnSession {
  /** The answer to the signed Allocate: a success or an error. */
  readonly allocated: DecodedStunMessage;
  /** Signs a request with these credentials and the nonce, sends it and returns the response. */
  request(message: StunMessage): Promise<DecodedStunMessage>;
}

/** Allocates with long-term credentials: the 401 challenge first, then the signed request. */
export async function allocate(
  exchange: Exchange,
  credentials: { readonly username: string; readonly password: string; readonly realm: string },
): Promise<TurnSession> {
  const { username, password, realm } = credentials;
  const key = longTermKey(username, realm, password);
  const allocateRequest = () =>
    addAttribute(createStunMessage(StunMethod.Allocate, 'request'), REQUESTED_TRANSPORT, 17);
  const challenge = await exchange(allocateRequest());
  assert.equal(errorCodeOf(challenge), 401);
  const nonce = getAttribute(challenge, NONCE) as string;
  const request = (message: StunMessage) => {
    addAttribute(message, USERNAME, username);
    addAttribute(message, REALM, realm);
    addAttribute(message, NONCE, nonce);
    return exchange(message, key);
  };
  return { allocated: await request(allocateRequest()), request };
}
