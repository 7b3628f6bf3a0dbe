/**
 * One TURN allocation (RFC 8656 §2.2, §6): the relayed transport address of one client 5-tuple, with its
 * permissions (§9, 5 minutes, per peer IP) and channel bindings (§11, 10 minutes, per peer transport
 * address). Expiry of permissions and channels is checked against the clock when they are used, so the
 * relay path needs no timers; the allocation itself has one timer.
 */
import { formatIp, type IpFamily, parseIp, type TransportAddress } from '../stun/index.ts';
import type { Clock, TimerHandle } from '../util/index.ts';

/** RFC 8656 §9: a permission lasts 300 s and is refreshed by CreatePermission or ChannelBind. */
export const PERMISSION_LIFETIME_MS = 300_000;
/** RFC 8656 §11: a channel binding lasts 10 minutes. */
export const CHANNEL_LIFETIME_MS = 600_000;
/** RFC 8656 §11: after a binding expires, its number and peer stay unusable for another 5 minutes. */
export const CHANNEL_COOLDOWN_MS = 300_000;

/** A client of the TURN server: one UDP 5-tuple or one TCP/TLS connection. */
export interface ClientConnection {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  readonly remote: TransportAddress;
  /** Identifies the 5-tuple (RFC 8656 §2.2); one allocation per key. */
  readonly key: string;
  /** Sends one whole STUN or ChannelData message (streams: already padded). */
  send(packet: Uint8Array): void;
}

/** A UDP socket on a relayed transport address. */
export interface RelaySocket {
  readonly address: TransportAddress;
  /** Receives what peers send to the relayed address. */
  onPacket: (data: Uint8Array, address: string, port: number) => void;
  send(data: Uint8Array, address: string, port: number): void;
  close(): void;
}

export interface Channel {
  readonly number: number;
  readonly peer: TransportAddress;
  readonly peerKey: string;
  expiresAt: number;
}

export const peerKey = (address: string, port: number) => `${address}|${port}`;

export type ChannelBindResult = 'ok' | 'number-in-use' | 'peer-in-use';

export class Allocation {
  readonly connection: ClientConnection;
  readonly username: string;
  /** Quota owner: the user part of a REST username, or the username. */
  readonly quotaUser: string;
  readonly integrityKey: Uint8Array;
  readonly relay: RelaySocket;
  readonly family: IpFamily;
  /** The relayed IP address in canonical text (RFC 5952), as decoded peer addresses are written. */
  readonly relayIp: string;
  /** peerKey() of the relayed transport address, to find the allocation by it. */
  readonly relayKey: string;
  expiresAt = 0;
  timer: TimerHandle | undefined;
  /** The Allocate transaction that created it, and its response, for retransmissions (RFC 8656 §7.2). */
  readonly createdBy: string;
  readonly createdResponse: Uint8Array;
  readonly #clock: Clock;
  readonly #permissions = new Map<string, number>();
  readonly #channels = new Map<number, Channel>();
  readonly #channelsByPeer = new Map<string, Channel>();

  constructor(init: {
    connection: ClientConnection;
    username: string;
    quotaUser: string;
    integrityKey: Uint8Array;
    relay: RelaySocket;
    clock: Clock;
    createdBy: string;
    createdResponse: Uint8Array;
  }) {
    this.connection = init.connection;
    this.username = init.username;
    this.quotaUser = init.quotaUser;
    this.integrityKey = init.integrityKey;
    this.relay = init.relay;
    this.family = init.relay.address.family;
    const { address, port } = init.relay.address;
    const ip = parseIp(address);
    this.relayIp = ip ? formatIp(ip.bytes) : address;
    this.relayKey = peerKey(this.relayIp, port);
    this.#clock = init.clock;
    this.createdBy = init.createdBy;
    this.createdResponse = init.createdResponse;
  }

  get permissionCount(): number {
    return this.#permissions.size;
  }

  hasPermission(ip: string): boolean {
    const expiry = this.#permissions.get(ip);
    return expiry !== undefined && expiry > this.#clock.now();
  }

  /** Installs or refreshes a permission for a peer IP (RFC 8656 §9.2: ports are ignored). */
  permit(ip: string): void {
    this.#permissions.set(ip, this.#clock.now() + PERMISSION_LIFETIME_MS);
  }

  /** A live channel by number, for ChannelData from the client. */
  channel(number: number): Channel | undefined {
    const channel = this.#channels.get(number);
    return channel && channel.expiresAt > this.#clock.now() ? channel : undefined;
  }

  /** A live channel to a peer, for data from that peer. */
  channelToPeer(key: string): Channel | undefined {
    const channel = this.#channelsByPeer.get(key);
    return channel && channel.expiresAt > this.#clock.now() ? channel : undefined;
  }

  /**
   * RFC 8656 §11.2: a number may be bound to one peer and a peer to one number, and neither may be rebound
   * differently until 5 minutes after the binding expired. Binding again the same pair refreshes it.
   */
  bindChannel(number: number, peer: TransportAddress): ChannelBindResult {
    const now = this.#clock.now();
    const key = peerKey(peer.address, peer.port);
    const byNumber = this.#channels.get(number);
    if (byNumber && byNumber.peerKey !== key && byNumber.expiresAt + CHANNEL_COOLDOWN_MS > now) {
      return 'number-in-use';
    }
    const byPeer = this.#channelsByPeer.get(key);
    if (byPeer && byPeer.number !== number && byPeer.expiresAt + CHANNEL_COOLDOWN_MS > now)
      return 'peer-in-use';
    if (byNumber && byNumber.peerKey !== key) this.#channelsByPeer.delete(byNumber.peerKey);
    if (byPeer && byPeer.number !== number) this.#channels.delete(byPeer.number);
    const channel: Channel = { number, peer, peerKey: key, expiresAt: now + CHANNEL_LIFETIME_MS };
    this.#channels.set(number, channel);
    this.#channelsByPeer.set(key, channel);
    this.permit(peer.address);
    return 'ok';
  }

  /** Forgets permissions and channels that can no longer matter, bounding memory. */
  sweep(): void {
    const now = this.#clock.now();
    for (const [ip, expiry] of this.#permissions) if (expiry <= now) this.#permissions.delete(ip);
    for (const [number, channel] of this.#channels) {
      if (channel.expiresAt + CHANNEL_COOLDOWN_MS <= now) {
        this.#channels.delete(number);
        this.#channelsByPeer.delete(channel.peerKey);
      }
    }
  }
}
