/**
 * The authenticated TURN requests (RFC 8656 §7-§11): Allocate, Refresh, CreatePermission and ChannelBind.
 * Each check cites the step of the RFC that makes the server answer with that error code.
 */
import { randomBytes } from 'node:crypto';
import {
  addAttribute,
  type DecodedStunMessage,
  getAttribute,
  getAttributes,
  type IpFamily,
  StunDecodeError,
  type StunMessage,
  StunMethod,
  type TransportAddress,
} from '../stun/index.ts';
import type { TimerHandle } from '../util/index.ts';
import { Allocation, type ClientConnection, type RelaySocket } from './allocation.ts';
import type { AllocationQuotas } from './allocation-quotas.ts';
import {
  AddressFamilyCode,
  CHANNEL_NUMBER,
  EVEN_PORT,
  LIFETIME,
  REQUESTED_ADDRESS_FAMILY,
  REQUESTED_TRANSPORT,
  RESERVATION_TOKEN,
  UDP_PROTOCOL,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from './attributes.ts';
import { quotaUserOf } from './auth.ts';
import { isValidChannelNumber } from './channel-data.ts';
import type { InputErrorRecorder } from './input-boundary.ts';
import type { TurnCoreOptions } from './options.ts';
import { addMapped, errorResponse, type RequestAuth, successResponse } from './responses.ts';

/** RFC 8656 §7.2: a port reserved by EVEN-PORT's R bit is held about 30 seconds. */
const RESERVATION_LIFETIME_MS = 30_000;

interface Reservation {
  readonly socket: RelaySocket;
  readonly timer: TimerHandle;
}

/** What allocation requests need of the TURN core (an interface, so the two files do not import each other). */
export interface AllocationHost {
  readonly options: TurnCoreOptions;
  readonly allocations: Map<string, Allocation>;
  /** 5-tuples whose Allocate is waiting for a relay socket. */
  readonly pending: Set<string>;
  readonly closed: boolean;
  readonly quotas: AllocationQuotas;
  readonly inputErrors: InputErrorRecorder;
  reply(
    connection: ClientConnection,
    request: DecodedStunMessage,
    response: StunMessage,
    auth: RequestAuth | undefined,
  ): Uint8Array;
  allocationAtRelayAddress(address: TransportAddress): Allocation | undefined;
  isRevoked(user: string): boolean;
  addAllocation(allocation: Allocation, lifetimeSeconds: number): void;
  refreshAllocation(allocation: Allocation, lifetimeSeconds: number): void;
  removeAllocation(allocation: Allocation, reason: string): void;
}

const transactionKey = (request: DecodedStunMessage) => Buffer.from(request.transactionId).toString('hex');

export class AllocationRequests {
  readonly #core: AllocationHost;
  readonly #reservations = new Map<string, Reservation>();

  constructor(core: AllocationHost) {
    this.#core = core;
  }

  handle(connection: ClientConnection, request: DecodedStunMessage, auth: RequestAuth): void {
    if (request.method === StunMethod.Allocate) {
      this.#allocate(connection, request, auth).catch((error: unknown) => {
        // A malformed attribute is read inside the async handler: answer it like the others (400).
        if (error instanceof StunDecodeError) this.#error(connection, request, 400, auth);
        else this.#core.inputErrors.record(connection.protocol, error, connection.remote.address);
      });
      return;
    }
    const allocation = this.#core.allocations.get(connection.key);
    // RFC 8656 §8, §9, §11: these requests need an allocation on this 5-tuple (437), made by the same user (441).
    if (!allocation) {
      this.#error(connection, request, 437, auth);
      return;
    }
    if (allocation.username !== auth.username) {
      this.#error(connection, request, 441, auth);
      return;
    }
    try {
      if (request.method === StunMethod.Refresh) this.#refresh(connection, request, auth, allocation);
      else if (request.method === StunMethod.CreatePermission) {
        this.#createPermission(connection, request, auth, allocation);
      } else this.#channelBind(connection, request, auth, allocation);
    } catch (error) {
      // RFC 8489 §6.3.1: a malformed attribute makes a 400, protected like any authenticated answer.
      if (!(error instanceof StunDecodeError)) throw error;
      this.#error(connection, request, 400, auth);
    }
  }

  #error(connection: ClientConnection, request: DecodedStunMessage, code: number, auth: RequestAuth): void {
    this.#core.reply(connection, request, errorResponse(request, code), auth);
  }

  /** RFC 8656 §7.2 and §8: the lifetime granted for a requested one. */
  #lifetime(request: DecodedStunMessage): number {
    const { defaultLifetimeSeconds, maxLifetimeSeconds } = this.#core.options;
    const requested = getAttribute(request, LIFETIME);
    if (requested === undefined) return defaultLifetimeSeconds;
    return Math.max(defaultLifetimeSeconds, Math.min(requested, maxLifetimeSeconds));
  }

  async #allocate(
    connection: ClientConnection,
    request: DecodedStunMessage,
    auth: RequestAuth,
  ): Promise<void> {
    const core = this.#core;
    const { relays } = core.options;
    const transaction = transactionKey(request);
    const existing = core.allocations.get(connection.key);
    if (existing) {
      // RFC 8656 §7.2 step 2: a retransmitted Allocate gets the same answer; any other is a mismatch.
      if (existing.createdBy === transaction) connection.send(existing.createdResponse);
      else this.#error(connection, request, 437, auth);
      return;
    }
    if (core.pending.has(connection.key)) return;
    // Step 3: only UDP relaying (RFC 8656 §7.2; TCP relaying is RFC 6062).
    const transport = getAttribute(request, REQUESTED_TRANSPORT);
    if (transport === undefined) {
      this.#error(connection, request, 400, auth);
      return;
    }
    if (transport !== UDP_PROTOCOL) {
      this.#error(connection, request, 442, auth);
      return;
    }
    const evenPort = getAttribute(request, EVEN_PORT);
    const token = getAttribute(request, RESERVATION_TOKEN);
    const familyCode = getAttribute(request, REQUESTED_ADDRESS_FAMILY);
    // Steps 5-7: a reservation token excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY.
    if (token && (evenPort || familyCode !== undefined)) {
      this.#error(connection, request, 400, auth);
      return;
    }
    let family: IpFamily = 'IPv4';
    if (familyCode === AddressFamilyCode.IPv6) family = 'IPv6';
    else if (familyCode !== undefined && familyCode !== AddressFamilyCode.IPv4) {
      this.#error(connection, request, 440, auth);
      return;
    }
    if (!token && !relays.families.has(family)) {
      this.#error(connection, request, 440, auth);
      return;
    }
    // Read before a socket is opened: a malformed LIFETIME must not leave one behind.
    const lifetime = this.#lifetime(request);
    // Step 10: quotas, held from here until the allocation ends, or released now if none is made.
    const quotaUser = quotaUserOf(auth.username);
    const source = connection.remote.address;
    const refusal = core.quotas.hold(quotaUser, source);
    if (refusal) {
      core.options.counters.allocationsRefused[refusal]++;
      core.options.logger?.debug({ client: source, reason: refusal }, 'TURN allocation refused');
      this.#error(connection, request, refusal === 'total_quota' ? 508 : 486, auth);
      return;
    }
    core.pending.add(connection.key);
    let made = false;
    try {
      made = await this.#openRelay(connection, request, auth, {
        family,
        evenPort,
        token,
        quotaUser,
        lifetime,
      });
    } finally {
      core.pending.delete(connection.key);
      if (!made) core.quotas.release(quotaUser, source);
    }
  }

  /** Steps 8-9 and the answer: opens (or takes the reserved) relay socket; true once the allocation exists. */
  async #openRelay(
    connection: ClientConnection,
    request: DecodedStunMessage,
    auth: RequestAuth,
    wanted: {
      family: IpFamily;
      evenPort: { reserveNext: boolean } | undefined;
      token: Uint8Array | undefined;
      quotaUser: string;
      lifetime: number;
    },
  ): Promise<boolean> {
    const core = this.#core;
    const { family, evenPort, token, quotaUser, lifetime } = wanted;
    let relay: RelaySocket;
    let reserved: { token: Uint8Array; socket: RelaySocket } | undefined;
    try {
      if (token) {
        const reservation = this.#takeReservation(token);
        if (!reservation) {
          this.#error(connection, request, 508, auth);
          return false;
        }
        relay = reservation;
      } else {
        relay = await core.options.relays.open(family, evenPort !== undefined);
        if (evenPort?.reserveNext) {
          reserved = await this.#reserve(family, relay.address.port + 1);
          if (!reserved) {
            relay.close();
            this.#error(connection, request, 508, auth);
            return false;
          }
        }
      }
    } catch (error) {
      core.options.logger?.warn({ err: error, family }, 'no relay port available');
      this.#error(connection, request, 508, auth);
      return false;
    }
    // The server closed, or the user was revoked, while the socket was being opened.
    if (core.closed || core.isRevoked(quotaUser)) {
      relay.close();
      return false;
    }
    const response = successResponse(request);
    addAttribute(response, XOR_RELAYED_ADDRESS, relay.address);
    addAttribute(response, LIFETIME, lifetime);
    if (reserved) addAttribute(response, RESERVATION_TOKEN, reserved.token);
    addMapped(response, connection);
    const bytes = core.reply(connection, request, response, auth);
    const allocation = new Allocation({
      connection,
      username: auth.username,
      quotaUser,
      integrityKey: auth.key,
      relay,
      clock: core.options.clock,
      createdBy: transactionKey(request),
      createdResponse: bytes,
    });
    core.addAllocation(allocation, lifetime);
    return true;
  }

  async #reserve(
    family: IpFamily,
    port: number,
  ): Promise<{ token: Uint8Array; socket: RelaySocket } | undefined> {
    let socket: RelaySocket;
    try {
      socket = await this.#core.options.relays.openAt(family, port);
    } catch {
      return undefined;
    }
    const token = randomBytes(8);
    const key = token.toString('hex');
    const timer = this.#core.options.clock.setTimeout(() => {
      this.#reservations.delete(key);
      socket.close();
    }, RESERVATION_LIFETIME_MS);
    this.#reservations.set(key, { socket, timer });
    return { token, socket };
  }

  #takeReservation(token: Uint8Array): RelaySocket | undefined {
    const key = Buffer.from(token).toString('hex');
    const reservation = this.#reservations.get(key);
    if (!reservation) return undefined;
    this.#reservations.delete(key);
    this.#core.options.clock.clearTimeout(reservation.timer);
    return reservation.socket;
  }

  /** RFC 8656 §8: Refresh sets a new lifetime; 0 deletes the allocation. */
  #refresh(
    connection: ClientConnection,
    request: DecodedStunMessage,
    auth: RequestAuth,
    allocation: Allocation,
  ): void {
    const familyCode = getAttribute(request, REQUESTED_ADDRESS_FAMILY);
    if (familyCode !== undefined && familyCode !== AddressFamilyCode[allocation.family]) {
      this.#error(connection, request, 443, auth);
      return;
    }
    const requested = getAttribute(request, LIFETIME);
    const lifetime = requested === 0 ? 0 : this.#lifetime(request);
    if (lifetime === 0) this.#core.removeAllocation(allocation, 'refreshed to 0');
    else this.#core.refreshAllocation(allocation, lifetime);
    this.#core.reply(connection, request, addAttribute(successResponse(request), LIFETIME, lifetime), auth);
  }

  /**
   * Checks a peer address against the relay's family (443) and the relay policy (403). The relayed address
   * of a live allocation of this server is allowed although the server's own addresses are not (unless the
   * operator denies it): two clients of one server reach each other relay to relay, the data handed over
   * inside the server.
   */
  #peerError(peer: TransportAddress, allocation: Allocation): number | undefined {
    if (peer.family !== allocation.family) return 443;
    const { policy } = this.#core.options;
    if (policy.allows(peer.address)) return undefined;
    const relayToRelay = this.#core.allocationAtRelayAddress(peer) && !policy.operatorDenies(peer.address);
    return relayToRelay ? undefined : 403;
  }

  /** RFC 8656 §9.2: every XOR-PEER-ADDRESS is checked before any permission is installed. */
  #createPermission(
    connection: ClientConnection,
    request: DecodedStunMessage,
    auth: RequestAuth,
    allocation: Allocation,
  ): void {
    const peers = getAttributes(request, XOR_PEER_ADDRESS);
    if (peers.length === 0) {
      this.#error(connection, request, 400, auth);
      return;
    }
    for (const peer of peers) {
      const code = this.#peerError(peer, allocation);
      if (code !== undefined) {
        this.#core.options.logger?.debug({ peer: peer.address, code }, 'TURN permission refused');
        this.#error(connection, request, code, auth);
        return;
      }
    }
    allocation.sweep();
    const fresh = new Set(peers.map((peer) => peer.address));
    const added = [...fresh].filter((ip) => !allocation.hasPermission(ip)).length;
    if (allocation.permissionCount + added > this.#core.options.quotas.permissionsPerAllocation) {
      this.#error(connection, request, 508, auth);
      return;
    }
    for (const ip of fresh) allocation.permit(ip);
    this.#core.reply(connection, request, successResponse(request), auth);
  }

  /** RFC 8656 §11.2: bind (or refresh) a channel to a peer transport address. */
  #channelBind(
    connection: ClientConnection,
    request: DecodedStunMessage,
    auth: RequestAuth,
    allocation: Allocation,
  ): void {
    const channel = getAttribute(request, CHANNEL_NUMBER);
    const peer = getAttribute(request, XOR_PEER_ADDRESS);
    if (channel === undefined || peer === undefined || !isValidChannelNumber(channel)) {
      this.#error(connection, request, 400, auth);
      return;
    }
    const code = this.#peerError(peer, allocation);
    if (code !== undefined) {
      this.#error(connection, request, code, auth);
      return;
    }
    allocation.sweep();
    if (
      !allocation.hasPermission(peer.address) &&
      allocation.permissionCount >= this.#core.options.quotas.permissionsPerAllocation
    ) {
      this.#error(connection, request, 508, auth);
      return;
    }
    if (allocation.bindChannel(channel, peer) !== 'ok') {
      this.#error(connection, request, 400, auth);
      return;
    }
    this.#core.reply(connection, request, successResponse(request), auth);
  }

  close(): void {
    for (const reservation of this.#reservations.values()) {
      this.#core.options.clock.clearTimeout(reservation.timer);
      reservation.socket.close();
    }
    this.#reservations.clear();
  }
}
