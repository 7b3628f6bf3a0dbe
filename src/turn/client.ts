/**
 * A TURN client (RFC 8656 §7-§12) for the ICE agent: allocates a relayed address with long-term credentials
 * (answering 401 and 438, RFC 8489 §9.2.5), keeps the allocation, permissions and channels refreshed on an
 * injected clock, and sends and receives through the relay (ChannelData when bound, Send/Data indications
 * otherwise). The transport is injected too (client-transport.ts for real sockets).
 */
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  findAttribute,
  getAttribute,
  longTermKey,
  NONCE,
  REALM,
  StunAttributeType,
  StunClientTransactions,
  StunDecodeError,
  type StunMessage,
  StunMethod,
  type TransportAddress,
  USERNAME,
  verifyMessageIntegrity,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import type { Clock, TimerHandle } from '../util/index.ts';
import {
  AddressFamilyCode,
  CHANNEL_NUMBER,
  DATA,
  LIFETIME,
  REQUESTED_ADDRESS_FAMILY,
  REQUESTED_TRANSPORT,
  UDP_PROTOCOL,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from './attributes.ts';
import {
  ChannelDataError,
  decodeChannelData,
  encodeChannelData,
  MAX_CHANNEL,
  MIN_CHANNEL,
} from './channel-data.ts';
import type { TurnClientTransport } from './client-transport.ts';

/** RFC 8656 §9: permissions last 300 s; refresh a minute early. */
const PERMISSION_REFRESH_MS = 240_000;
/** RFC 8656 §11: channels last 600 s; refresh a minute early. */
const CHANNEL_REFRESH_MS = 540_000;

export interface TurnClientOptions {
  readonly transport: TurnClientTransport;
  readonly clock: Clock;
  readonly username: string;
  readonly password: string;
  /** Relay family (REQUESTED-ADDRESS-FAMILY, RFC 8656 §7.1); IPv4 by default. */
  readonly family?: 'IPv4' | 'IPv6';
  /** Requested allocation lifetime in seconds (the server may grant another). */
  readonly lifetimeSeconds?: number;
}

export interface TurnAllocation {
  readonly relayed: TransportAddress;
  readonly mapped: TransportAddress;
  readonly lifetimeSeconds: number;
}

/** A TURN request the server refused, with its error code (RFC 8656 §18.1 lists them). */
export class TurnRequestError extends Error {
  override readonly name = 'TurnRequestError';
  constructor(
    readonly method: number,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`TURN request 0x${method.toString(16)} failed: ${code} ${reason}`);
  }
}

const peerKey = (peer: TransportAddress) => `${peer.address}|${peer.port}`;

export class TurnClient {
  /** Data from a peer through the relay. */
  onData: (data: Uint8Array, peer: TransportAddress) => void = () => {};
  /** The allocation is gone: refresh failed, the transport closed, or close() was called. */
  onClosed: (reason: string) => void = () => {};
  readonly #options: TurnClientOptions;
  readonly #transactions: StunClientTransactions;
  readonly #stream: boolean;
  #realm: string | undefined;
  #nonce: string | undefined;
  #key: Uint8Array | undefined;
  #allocation: TurnAllocation | undefined;
  #refreshTimer: TimerHandle | undefined;
  readonly #permissionTimers = new Map<string, TimerHandle>();
  readonly #channelsByPeer = new Map<string, { number: number; timer: TimerHandle | undefined }>();
  readonly #peersByChannel = new Map<number, TransportAddress>();
  #nextChannel = MIN_CHANNEL;
  #closed = false;

  constructor(options: TurnClientOptions) {
    this.#options = options;
    this.#stream = options.transport.protocol !== 'udp';
    this.#transactions = new StunClientTransactions({
      clock: options.clock,
      reliable: this.#stream,
      send: (packet) => options.transport.send(packet),
    });
    options.transport.onPacket = (packet) => this.#receive(packet);
    options.transport.onClose = () => this.#shutdown('transport closed');
  }

  get allocation(): TurnAllocation | undefined {
    return this.#allocation;
  }

  /** RFC 8656 §7.1: Allocate, answering the 401 challenge and any 438 with the server's new nonce. */
  async allocate(): Promise<TurnAllocation> {
    const response = await this.#request(StunMethod.Allocate, (message) => {
      addAttribute(message, REQUESTED_TRANSPORT, UDP_PROTOCOL);
      if (this.#options.family === 'IPv6')
        addAttribute(message, REQUESTED_ADDRESS_FAMILY, AddressFamilyCode.IPv6);
      if (this.#options.lifetimeSeconds) addAttribute(message, LIFETIME, this.#options.lifetimeSeconds);
    });
    const relayed = getAttribute(response, XOR_RELAYED_ADDRESS);
    const mapped = getAttribute(response, XOR_MAPPED_ADDRESS);
    const lifetimeSeconds = getAttribute(response, LIFETIME);
    if (!relayed || !mapped || lifetimeSeconds === undefined) {
      throw new StunDecodeError(
        'bad-attribute',
        'Allocate success without XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS or LIFETIME',
      );
    }
    this.#allocation = { relayed, mapped, lifetimeSeconds };
    this.#scheduleRefresh(lifetimeSeconds);
    return this.#allocation;
  }

  /** RFC 8656 §8: refreshes the allocation a minute before it would expire (or at half-life if shorter). */
  #scheduleRefresh(lifetimeSeconds: number): void {
    const { clock } = this.#options;
    clock.clearTimeout(this.#refreshTimer);
    const delayMs = Math.max(lifetimeSeconds * 500, (lifetimeSeconds - 60) * 1000);
    this.#refreshTimer = clock.setTimeout(() => {
      this.refresh().catch((error: Error) => this.#shutdown(`refresh failed: ${error.message}`));
    }, delayMs);
  }

  /** Refreshes the allocation; resolves with the lifetime the server granted. */
  async refresh(lifetimeSeconds = this.#options.lifetimeSeconds): Promise<number> {
    const response = await this.#request(StunMethod.Refresh, (message) => {
      if (lifetimeSeconds !== undefined) addAttribute(message, LIFETIME, lifetimeSeconds);
    });
    const granted = getAttribute(response, LIFETIME) ?? 0;
    if (granted > 0) this.#scheduleRefresh(granted);
    return granted;
  }

  /** RFC 8656 §9.1: installs permissions for peer IPs, and keeps them refreshed. */
  async createPermission(peers: readonly TransportAddress[]): Promise<void> {
    await this.#request(StunMethod.CreatePermission, (message) => {
      for (const peer of peers) addAttribute(message, XOR_PEER_ADDRESS, peer);
    });
    const { clock } = this.#options;
    for (const peer of peers) {
      clock.clearTimeout(this.#permissionTimers.get(peer.address));
      this.#permissionTimers.set(
        peer.address,
        clock.setTimeout(() => {
          this.createPermission([peer]).catch(() => this.#permissionTimers.delete(peer.address));
        }, PERMISSION_REFRESH_MS),
      );
    }
  }

  /** RFC 8656 §11.1: binds a channel to a peer (which also installs its permission); resolves with its number. */
  async bindChannel(peer: TransportAddress): Promise<number> {
    const existing = this.#channelsByPeer.get(peerKey(peer));
    const number = existing?.number ?? this.#allocateChannelNumber();
    await this.#request(StunMethod.ChannelBind, (message) => {
      addAttribute(message, CHANNEL_NUMBER, number);
      addAttribute(message, XOR_PEER_ADDRESS, peer);
    });
    const { clock } = this.#options;
    clock.clearTimeout(existing?.timer);
    const entry = {
      number,
      timer: clock.setTimeout(() => {
        this.bindChannel(peer).catch(() => this.#unbind(peer));
      }, CHANNEL_REFRESH_MS),
    };
    this.#channelsByPeer.set(peerKey(peer), entry);
    this.#peersByChannel.set(number, peer);
    return number;
  }

  #allocateChannelNumber(): number {
    if (this.#nextChannel > MAX_CHANNEL) throw new RangeError('no channel numbers left');
    return this.#nextChannel++;
  }

  #unbind(peer: TransportAddress): void {
    const entry = this.#channelsByPeer.get(peerKey(peer));
    if (!entry) return;
    this.#channelsByPeer.delete(peerKey(peer));
    this.#peersByChannel.delete(entry.number);
  }

  /** Sends to a peer through the relay: ChannelData when a channel is bound, a Send indication otherwise. */
  send(peer: TransportAddress, data: Uint8Array): void {
    if (this.#closed) return;
    const channel = this.#channelsByPeer.get(peerKey(peer));
    if (channel) {
      this.#options.transport.send(encodeChannelData(channel.number, data, this.#stream));
      return;
    }
    const indication = createStunMessage(StunMethod.Send, 'indication');
    addAttribute(indication, XOR_PEER_ADDRESS, peer);
    addAttribute(indication, DATA, data);
    this.#options.transport.send(encodeStunMessage(indication));
  }

  /** Deletes the allocation (Refresh with lifetime 0) and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#allocation) await this.refresh(0).catch(() => {});
    this.#shutdown('closed');
    this.#options.transport.close();
  }

  #shutdown(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const { clock } = this.#options;
    clock.clearTimeout(this.#refreshTimer);
    for (const timer of this.#permissionTimers.values()) clock.clearTimeout(timer);
    for (const { timer } of this.#channelsByPeer.values()) clock.clearTimeout(timer);
    this.#transactions.close();
    this.onClosed(reason);
  }

  /**
   * Sends a request, authenticated once the server has challenged us. RFC 8489 §9.2.5: a 401 gives the
   * realm and nonce to retry with; a 438 a fresh nonce. Other errors reject with TurnRequestError.
   */
  async #request(method: number, build: (message: StunMessage) => void): Promise<DecodedStunMessage> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const message = createStunMessage(method, 'request');
      build(message);
      const key = this.#key;
      if (key && this.#realm !== undefined && this.#nonce !== undefined) {
        addAttribute(message, USERNAME, this.#options.username);
        addAttribute(message, REALM, this.#realm);
        addAttribute(message, NONCE, this.#nonce);
      }
      const response = await this.#transactions.request(
        message,
        key ? { integrityKey: key, fingerprint: true } : {},
      );
      if (response.class === 'success') return response;
      const error = getAttribute(response, ERROR_CODE) ?? { code: 0, reason: 'no ERROR-CODE' };
      const realm = getAttribute(response, REALM);
      const nonce = getAttribute(response, NONCE);
      const challenged = (error.code === 401 && !key) || error.code === 438;
      if (!challenged || nonce === undefined || (error.code === 401 && realm === undefined)) {
        throw new TurnRequestError(method, error.code, error.reason);
      }
      this.#nonce = nonce;
      if (realm !== undefined && realm !== this.#realm) {
        this.#realm = realm;
        this.#key = longTermKey(this.#options.username, realm, this.#options.password);
      }
    }
    throw new TurnRequestError(method, 438, 'Stale Nonce (still stale after retries)');
  }

  #receive(packet: Uint8Array): void {
    const first = packet[0] as number;
    if (first >= 0x40 && first < 0x80) {
      try {
        const { channel, data } = decodeChannelData(packet);
        const peer = this.#peersByChannel.get(channel);
        if (peer) this.onData(data, peer);
      } catch (error) {
        if (!(error instanceof ChannelDataError)) throw error;
      }
      return;
    }
    let message: DecodedStunMessage;
    try {
      message = decodeStunMessage(packet);
      if (message.class === 'indication' && message.method === StunMethod.Data) {
        const peer = getAttribute(message, XOR_PEER_ADDRESS);
        const data = getAttribute(message, DATA);
        if (peer && data) this.onData(data, peer);
        return;
      }
    } catch (error) {
      // Malformed packets from the network are dropped (RFC 8489 §6.3).
      if (!(error instanceof StunDecodeError)) throw error;
      return;
    }
    // RFC 8489 §9.2.5: once we hold a key, responses must carry valid integrity; a forged one is discarded and
    // the transaction keeps waiting. (401 and 438 challenges come unsigned, and so may other errors.)
    const key = this.#key;
    const signed = findAttribute(message, StunAttributeType.MessageIntegrity) !== undefined;
    if (key && (signed || message.class === 'success') && !verifyMessageIntegrity(message, key)) return;
    this.#transactions.handleResponse(message);
  }
}
