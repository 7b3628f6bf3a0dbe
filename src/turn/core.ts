/**
 * The TURN server's protocol logic (RFC 8656), independent of sockets: listeners hand it packets from
 * clients with a ClientConnection to answer on, and it opens relay sockets through an injected allocator.
 * Time comes from an injected Clock, so lifetimes are tested in virtual time.
 */
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  findAttribute,
  getAttribute,
  MESSAGE_INTEGRITY,
  MESSAGE_INTEGRITY_SHA256,
  NONCE,
  REALM,
  StunAttributeType,
  StunDecodeError,
  type StunMessage,
  StunMethod,
  type TransportAddress,
  USERNAME,
  unknownComprehensionRequired,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from '../stun/index.ts';
import { randomBytes } from '../util/index.ts';
import { type Allocation, type ClientConnection, peerKey } from './allocation.ts';
import { AllocationQuotas } from './allocation-quotas.ts';
import { DATA, XOR_PEER_ADDRESS } from './attributes.ts';
import { quotaUserOf } from './auth.ts';
import { ChannelDataError, decodeChannelData, encodeChannelData } from './channel-data.ts';
import { InputErrorRecorder } from './input-boundary.ts';
import type { TurnCoreOptions } from './options.ts';
import { AllocationRequests } from './requests.ts';
import {
  addMapped,
  challengeResponse,
  encodeResponse,
  errorResponse,
  type RequestAuth,
  successResponse,
  unknownAttributesResponse,
} from './responses.ts';
import { RevokedUsers } from './revoked-users.ts';

export class TurnServerCore {
  readonly options: TurnCoreOptions;
  readonly allocations = new Map<string, Allocation>();
  /** 5-tuples whose Allocate is waiting for a relay socket. */
  readonly pending = new Set<string>();
  /** Allocations held and being made, per user, per client IP and in total. */
  readonly quotas: AllocationQuotas;
  /** Where the listeners and relay sockets report input whose handler threw. */
  readonly inputErrors: InputErrorRecorder;
  /** Live allocations by relayed transport address (Allocation.relayKey). */
  readonly #byRelayAddress = new Map<string, Allocation>();
  readonly #revoked = new RevokedUsers();
  readonly #requests: AllocationRequests;
  #closed = false;

  constructor(options: TurnCoreOptions) {
    this.options = options;
    this.quotas = new AllocationQuotas(options.quotas);
    this.inputErrors = new InputErrorRecorder(options.counters, options.clock, options.logger);
    this.#requests = new AllocationRequests(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A whole STUN or ChannelData message from a client. */
  handleClientPacket(connection: ClientConnection, packet: Uint8Array): void {
    const first = packet[0] as number;
    if (first >= 0x40 && first < 0x80) {
      this.#handleChannelData(connection, packet);
      return;
    }
    if (first > 3) {
      this.options.counters.droppedPackets++;
      return;
    }
    let message: DecodedStunMessage;
    try {
      message = decodeStunMessage(packet);
    } catch (error) {
      if (!(error instanceof StunDecodeError)) throw error;
      this.options.counters.droppedPackets++;
      return;
    }
    // RFC 8489 §7.3: a message whose FINGERPRINT does not check out is not STUN (or is corrupt): discard it.
    if (findAttribute(message, StunAttributeType.Fingerprint) && !verifyFingerprint(message)) {
      this.options.counters.droppedPackets++;
      return;
    }
    try {
      this.#dispatch(connection, message);
    } catch (error) {
      // A malformed attribute surfaces when it is read; RFC 8489 §6.3.1: answer a request with 400.
      if (!(error instanceof StunDecodeError)) throw error;
      this.options.counters.droppedPackets++;
      if (message.class === 'request' && this.#allowUnauthenticated(connection)) {
        this.reply(connection, message, errorResponse(message, 400), undefined);
      }
    }
  }

  #dispatch(connection: ClientConnection, message: DecodedStunMessage): void {
    if (message.class === 'indication') {
      if (message.method === StunMethod.Send) this.#handleSend(connection, message);
      return;
    }
    if (message.class !== 'request') return;
    if (message.method === StunMethod.Binding) {
      this.#handleBinding(connection, message);
      return;
    }
    const isTurnMethod =
      message.method === StunMethod.Allocate ||
      message.method === StunMethod.Refresh ||
      message.method === StunMethod.CreatePermission ||
      message.method === StunMethod.ChannelBind;
    if (!isTurnMethod) {
      if (this.#allowUnauthenticated(connection))
        this.reply(connection, message, errorResponse(message, 400), undefined);
      return;
    }
    const auth = this.#authenticate(connection, message);
    if (!auth) return;
    const unknown = unknownComprehensionRequired(message);
    if (unknown.length > 0) {
      this.reply(connection, message, unknownAttributesResponse(message, unknown), auth);
      return;
    }
    this.#requests.handle(connection, message, auth);
  }

  /** RFC 8489 §6.3: Binding needs no credentials; its response is a mapped address, barely larger than the request. */
  #handleBinding(connection: ClientConnection, request: DecodedStunMessage): void {
    if (!this.#allowUnauthenticated(connection)) return;
    const unknown = unknownComprehensionRequired(request);
    if (unknown.length > 0) {
      this.reply(connection, request, unknownAttributesResponse(request, unknown), undefined);
      return;
    }
    const response = successResponse(request);
    this.reply(connection, request, addMapped(response, connection), undefined);
  }

  #allowUnauthenticated(connection: ClientConnection): boolean {
    if (this.options.rateLimiter.allow(connection.remote.address, this.options.clock.now())) return true;
    this.options.counters.droppedPackets++;
    return false;
  }

  /**
   * RFC 8489 §9.2.4 long-term credential checks, in the RFC's order: no integrity → 401 with a nonce;
   * missing USERNAME/REALM/NONCE → 400; a stale or foreign nonce → 438; unknown user or bad integrity → 401.
   * Returns undefined after answering when the request may not proceed.
   */
  #authenticate(connection: ClientConnection, request: DecodedStunMessage): RequestAuth | undefined {
    const { credentials, nonces, clock, counters } = this.options;
    const now = clock.now();
    const ip = connection.remote.address;
    const challenge = (code: 401 | 438) =>
      this.reply(
        connection,
        request,
        challengeResponse(request, code, credentials.realm, nonces.issue(ip, now)),
        undefined,
      );
    const sha256 = getAttribute(request, MESSAGE_INTEGRITY) === undefined;
    if (sha256 && getAttribute(request, MESSAGE_INTEGRITY_SHA256) === undefined) {
      if (this.#allowUnauthenticated(connection)) challenge(401);
      return undefined;
    }
    const username = getAttribute(request, USERNAME);
    const realm = getAttribute(request, REALM);
    const nonce = getAttribute(request, NONCE);
    if (username === undefined || realm === undefined || nonce === undefined) {
      if (this.#allowUnauthenticated(connection))
        this.reply(connection, request, errorResponse(request, 400), undefined);
      return undefined;
    }
    if (nonces.check(nonce, ip, now) !== 'valid') {
      if (this.#allowUnauthenticated(connection)) challenge(438);
      return undefined;
    }
    const key = realm === credentials.realm ? credentials.keyFor(username) : undefined;
    const valid =
      key !== undefined &&
      (sha256 ? verifyMessageIntegritySha256(request, key) : verifyMessageIntegrity(request, key));
    if (!valid) {
      counters.authFailures++;
      this.options.logger?.debug({ username, client: ip }, 'TURN authentication failed');
      if (this.#allowUnauthenticated(connection)) challenge(401);
      return undefined;
    }
    // Revoked credentials are answered as unknown ones (RFC 8489 §9.2.4: 401), so the client stops using them.
    if (this.isRevoked(quotaUserOf(username))) {
      counters.revokedRequests++;
      this.options.logger?.debug({ username, client: ip }, 'TURN request with revoked credentials');
      if (this.#allowUnauthenticated(connection)) challenge(401);
      return undefined;
    }
    return { username, key, sha256 };
  }

  reply(
    connection: ClientConnection,
    request: DecodedStunMessage,
    response: StunMessage,
    auth: RequestAuth | undefined,
  ): Uint8Array {
    const bytes = encodeResponse(request, response, auth);
    connection.send(bytes);
    return bytes;
  }

  /**
   * RFC 8656 §10.2: a Send indication relays DATA to a permitted peer; anything wrong, a malformed attribute
   * included, drops it silently (an indication is never answered, RFC 8489 §6.3.2).
   */
  #handleSend(connection: ClientConnection, indication: DecodedStunMessage): void {
    const allocation = this.allocations.get(connection.key);
    if (!allocation || unknownComprehensionRequired(indication).length > 0) {
      this.options.counters.droppedPackets++;
      return;
    }
    let peer: TransportAddress | undefined;
    let data: Uint8Array | undefined;
    try {
      peer = getAttribute(indication, XOR_PEER_ADDRESS);
      data = getAttribute(indication, DATA);
    } catch (error) {
      if (!(error instanceof StunDecodeError)) throw error;
      this.options.counters.droppedPackets++;
      return;
    }
    if (!peer || !data || peer.family !== allocation.family || !allocation.hasPermission(peer.address)) {
      this.options.counters.droppedPackets++;
      return;
    }
    this.#toPeer(allocation, data, peer.address, peer.port);
  }

  /** RFC 8656 §12.4: ChannelData on a bound, unexpired channel goes to its peer. */
  #handleChannelData(connection: ClientConnection, packet: Uint8Array): void {
    const allocation = this.allocations.get(connection.key);
    let message: { channel: number; data: Uint8Array };
    try {
      message = decodeChannelData(packet);
    } catch (error) {
      if (!(error instanceof ChannelDataError)) throw error;
      this.options.counters.droppedPackets++;
      return;
    }
    const channel = allocation?.channel(message.channel);
    if (!allocation || !channel || !allocation.hasPermission(channel.peer.address)) {
      this.options.counters.droppedPackets++;
      return;
    }
    this.#toPeer(allocation, message.data, channel.peer.address, channel.peer.port);
  }

  #toPeer(allocation: Allocation, data: Uint8Array, address: string, port: number): void {
    const { counters } = this.options;
    const target = this.#byRelayAddress.get(peerKey(address, port));
    if (target) {
      // Another allocation of this server: the data is handed over here, arriving from the sender's relayed
      // address and subject to the receiver's permissions, as a round trip through the sockets would have it
      // (which the policy refuses, the server's own addresses being no place to send to).
      counters.relayedPacketsBetweenAllocations++;
      counters.relayedBytesBetweenAllocations += data.length;
      this.fromPeer(target, data, allocation.relayIp, allocation.relay.address.port);
      return;
    }
    // A permission for one of the server's own addresses exists only to reach a relayed address on it.
    if (this.options.policy.isRefusedServerAddress(address)) {
      counters.droppedPackets++;
      return;
    }
    counters.relayedPacketsToPeer++;
    counters.relayedBytesToPeer += data.length;
    allocation.relay.send(data, address, port);
  }

  /** RFC 8656 §12.3 and §11.5: data from a permitted peer, as ChannelData if bound, else a Data indication. */
  fromPeer(allocation: Allocation, data: Uint8Array, address: string, port: number): void {
    const { counters } = this.options;
    if (!allocation.hasPermission(address)) {
      counters.droppedPackets++;
      return;
    }
    const channel = allocation.channelToPeer(peerKey(address, port));
    let packet: Uint8Array;
    if (channel) {
      packet = encodeChannelData(channel.number, data, allocation.connection.protocol !== 'udp');
    } else {
      if (data.length > 0xffff - 64) {
        counters.droppedPackets++;
        return;
      }
      const indication = createStunMessage(StunMethod.Data, 'indication', randomBytes(12));
      addAttribute(indication, XOR_PEER_ADDRESS, { family: allocation.family, address, port });
      addAttribute(indication, DATA, data);
      packet = encodeStunMessage(indication);
    }
    counters.relayedPacketsToClient++;
    counters.relayedBytesToClient += data.length;
    allocation.connection.send(packet);
  }

  // ---- Allocation bookkeeping, used by AllocationRequests ----

  /** The live allocation whose relayed transport address this is (its address in canonical text). */
  allocationAtRelayAddress(address: TransportAddress): Allocation | undefined {
    return this.#byRelayAddress.get(peerKey(address.address, address.port));
  }

  isRevoked(user: string): boolean {
    return this.#revoked.has(user, this.options.clock.now());
  }

  /**
   * Removes every allocation of this user (the user part of REST usernames "expiry:user") and refuses its
   * credentials from now on (RevokedUsers says for how long). Returns how many allocations were removed.
   */
  revokeUser(user: string): number {
    this.#revoked.revoke(user, this.options.clock.now());
    let removed = 0;
    for (const allocation of [...this.allocations.values()]) {
      if (allocation.quotaUser !== user) continue;
      this.removeAllocation(allocation, 'credentials revoked');
      removed++;
    }
    this.options.logger?.info({ user, removed }, 'TURN user revoked');
    return removed;
  }

  /** Adds an allocation whose quotas AllocationRequests already holds; removeAllocation releases them. */
  addAllocation(allocation: Allocation, lifetimeSeconds: number): void {
    this.allocations.set(allocation.connection.key, allocation);
    this.#byRelayAddress.set(allocation.relayKey, allocation);
    this.options.counters.allocations = this.allocations.size;
    allocation.relay.onPacket = (data, address, port) => this.fromPeer(allocation, data, address, port);
    this.refreshAllocation(allocation, lifetimeSeconds);
    this.options.logger?.debug(
      {
        username: allocation.username,
        client: allocation.connection.remote,
        relay: allocation.relay.address,
      },
      'TURN allocation created',
    );
  }

  refreshAllocation(allocation: Allocation, lifetimeSeconds: number): void {
    const { clock } = this.options;
    clock.clearTimeout(allocation.timer);
    allocation.expiresAt = clock.now() + lifetimeSeconds * 1000;
    allocation.timer = clock.setTimeout(
      () => this.removeAllocation(allocation, 'expired'),
      lifetimeSeconds * 1000,
    );
    allocation.sweep();
  }

  removeAllocation(allocation: Allocation, reason: string): void {
    if (this.allocations.get(allocation.connection.key) !== allocation) return;
    this.allocations.delete(allocation.connection.key);
    if (this.#byRelayAddress.get(allocation.relayKey) === allocation)
      this.#byRelayAddress.delete(allocation.relayKey);
    this.quotas.release(allocation.quotaUser, allocation.connection.remote.address);
    this.options.counters.allocations = this.allocations.size;
    this.options.clock.clearTimeout(allocation.timer);
    allocation.relay.close();
    this.options.logger?.debug(
      { username: allocation.username, relay: allocation.relay.address, reason },
      'TURN allocation removed',
    );
  }

  /** A TCP/TLS connection closed: its allocation goes with it (RFC 8656 §5). */
  connectionClosed(connection: ClientConnection): void {
    const allocation = this.allocations.get(connection.key);
    if (allocation) this.removeAllocation(allocation, 'connection closed');
  }

  close(): void {
    this.#closed = true;
    for (const allocation of [...this.allocations.values()])
      this.removeAllocation(allocation, 'server closed');
    this.#requests.close();
  }
}
