/**
 * The TURN core's unit tests drive it in memory: clients whose answers are collected, relay sockets that
 * record what they send, a virtual clock, and a long-term-credential client that handles the 401/438
 * challenges (RFC 8489 §9.2.5). Only tests import this file.
 */
import assert from 'node:assert/strict';
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  type IpFamily,
  longTermKey,
  NONCE,
  REALM,
  type StunMessage,
  StunMethod,
  type TransportAddress,
  USERNAME,
  verifyMessageIntegrity,
} from '../stun/index.ts';
import { VirtualClock } from '../util/index.ts';
import { PeerAddressPolicy, type PeerPolicyOptions } from './address-policy.ts';
import type { ClientConnection, RelaySocket } from './allocation.ts';
import { REQUESTED_TRANSPORT } from './attributes.ts';
import { CredentialStore, NonceIssuer } from './auth.ts';
import { TurnServerCore } from './core.ts';
import { TurnCounters } from './metrics.ts';
import type { RelayAllocator } from './options.ts';
import { SourceRateLimiter } from './rate-limit.ts';

export class FakeRelay implements RelaySocket {
  onPacket: (data: Uint8Array, address: string, port: number) => void = () => {};
  readonly sent: { data: Uint8Array; address: string; port: number }[] = [];
  closed = false;
  constructor(readonly address: TransportAddress) {}
  send(data: Uint8Array, address: string, port: number): void {
    this.sent.push({ data, address, port });
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeRelays implements RelayAllocator {
  readonly families = new Set<IpFamily>(['IPv4']);
  readonly opened: FakeRelay[] = [];
  #port = 50_000;
  constructor(readonly relayAddress = '198.51.100.1') {}
  async open(family: IpFamily): Promise<RelaySocket> {
    return this.openAt(family, this.#port++);
  }
  async openAt(family: IpFamily, port: number): Promise<RelaySocket> {
    const relay = new FakeRelay({ family, address: this.relayAddress, port });
    this.opened.push(relay);
    return relay;
  }
}

export class FakeClient implements ClientConnection {
  readonly protocol = 'udp';
  readonly received: Uint8Array[] = [];
  readonly remote: TransportAddress;
  readonly key: string;
  constructor(port: number, address = '203.0.113.5') {
    this.remote = { family: 'IPv4', address, port };
    this.key = `u|${address}|${port}`;
  }
  send(packet: Uint8Array): void {
    this.received.push(packet);
  }
}

export const realm = 'dyad.test';
export const secret = 'rest-secret';
/** The wall clock REST credentials are checked against. */
export const wallClockMs = 1_700_000_000_000;

export interface CoreSetup {
  readonly perUser?: number;
  readonly perSourceAddress?: number;
  readonly total?: number;
  readonly ratePerSecond?: number;
  /** By default the operator allows 10.1.0.0/16 and the documentation range 192.0.2.0/24 the tests use. */
  readonly policy?: PeerPolicyOptions;
  readonly relayAddress?: string;
}

export function setup(overrides: CoreSetup = {}) {
  const clock = new VirtualClock(1_000);
  const relays = new FakeRelays(overrides.relayAddress);
  const counters = new TurnCounters();
  const core = new TurnServerCore({
    clock,
    credentials: new CredentialStore({
      realm,
      authSecret: secret,
      staticUsers: new Map([['alice', 'wonderland']]),
      wallClock: () => wallClockMs,
    }),
    nonces: new NonceIssuer(600_000),
    policy: new PeerAddressPolicy(overrides.policy ?? { allowedPeerRanges: ['10.1.0.0/16', '192.0.2.0/24'] }),
    rateLimiter: new SourceRateLimiter({ ratePerSecond: overrides.ratePerSecond ?? 1000, burst: 50 }),
    counters,
    relays,
    quotas: {
      perUser: overrides.perUser ?? 10,
      perSourceAddress: overrides.perSourceAddress ?? 100,
      total: overrides.total ?? 100,
      permissionsPerAllocation: 3,
    },
    defaultLifetimeSeconds: 600,
    maxLifetimeSeconds: 3600,
  });
  return { clock, relays, counters, core };
}

export const errorCode = (message: DecodedStunMessage) => getAttribute(message, ERROR_CODE)?.code;
export const peer = (address: string, port = 4000): TransportAddress => ({ family: 'IPv4', address, port });

/** A long-term-credential client speaking to the core in memory. */
export class Client {
  readonly connection: FakeClient;
  nonce: string | undefined;
  readonly key: Uint8Array;
  constructor(
    readonly core: TurnServerCore,
    port: number,
    readonly username = 'alice',
    password = 'wonderland',
    address?: string,
  ) {
    this.connection = new FakeClient(port, address);
    this.key = longTermKey(username, realm, password);
  }

  async send(method: number, build: (m: StunMessage) => void = () => {}, sign = true) {
    const request = createStunMessage(method, 'request');
    build(request);
    if (sign && this.nonce) {
      addAttribute(request, USERNAME, this.username);
      addAttribute(request, REALM, realm);
      addAttribute(request, NONCE, this.nonce);
    }
    const before = this.connection.received.length;
    this.core.handleClientPacket(
      this.connection,
      encodeStunMessage(request, sign && this.nonce ? { integrityKey: this.key, fingerprint: true } : {}),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(this.connection.received.length, before + 1, 'one response');
    const response = decodeStunMessage(this.connection.received.at(-1) as Uint8Array);
    assert.deepEqual(response.transactionId, request.transactionId);
    const nonce = getAttribute(response, NONCE);
    if (nonce) this.nonce = nonce;
    return response;
  }

  /** Sends, and on a 401/438 challenge retries once with the new nonce (RFC 8489 §9.2.5). */
  async request(method: number, build?: (m: StunMessage) => void) {
    let response = await this.send(method, build);
    const code = errorCode(response);
    if (code === 401 || code === 438) response = await this.send(method, build);
    if (response.class === 'success' || errorCode(response) !== 401) {
      assert.equal(
        verifyMessageIntegrity(response, this.key),
        true,
        'responses are signed with the same key',
      );
    }
    return response;
  }

  allocate(build: (m: StunMessage) => void = () => {}) {
    return this.request(StunMethod.Allocate, (m) => {
      addAttribute(m, REQUESTED_TRANSPORT, 17);
      build(m);
    });
  }
}
