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
  USERNAME,
  unknownComprehensionRequired,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from '../stun/index.ts';
import { randomBytes } from '../util/index.ts';
import { type Allocation, type ClientConnection, peerKey } from './allocation.ts';
import { DATA, XOR_PEER_ADDRESS } from './attributes.ts';
import { ChannelDataError, decodeChannelData, encodeChannelData } from './channel-data.ts';
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

export class TurnServerCore {
  readonly options: TurnCoreOptions;
  readonly allocations = new Map<string, Allocation>();
  /** 5-tuples whose Allocate is waiting for a relay socket. */
  readonly pending = new Set<string>();
  readonly #perUser = new Map<string, number>();
  readonly #requests: AllocationRequests;
  #closed = false;

  constructor(options: TurnCoreOptions) {
    this.options = options;
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

  /** RFC 8656 §10.2: a Send indication relays DATA to a permitted peer; anything wrong drops it silently. */
  #handleSend(connection: ClientConnection, indication: DecodedStunMessage): void {
    const allocation = this.allocations.get(connection.key);
    if (!allocation || unknownComprehensionRequired(indication).length > 0) {
      this.options.counters.droppedPackets++;
      return;
    }
    const peer = getAttribute(indication, XOR_PEER_ADDRESS);
    const data = getAttribute(indication, DATA);
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

  userAllocationCount(user: string): number {
    return this.#perUser.get(user) ?? 0;
  }

  addAllocation(allocation: Allocation, lifetimeSeconds: number): void {
    this.allocations.set(allocation.connection.key, allocation);
    this.#perUser.set(allocation.quotaUser, this.userAllocationCount(allocation.quotaUser) + 1);
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
    const left = this.userAllocationCount(allocation.quotaUser) - 1;
    if (left > 0) this.#perUser.set(allocation.quotaUser, left);
    else this.#perUser.delete(allocation.quotaUser);
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
