/**
 * An in-memory UDP network for deterministic tests of the protocol layers (ICE, TURN, DTLS, SCTP): sockets
 * bound at addresses, datagrams delivered through timers on an injected Clock, per-link loss, delay and
 * jitter (which reorders), and NATs with the mapping and filtering behaviours of RFC 4787 §4.1 and §5.
 * Every random choice comes from one seeded generator, so a run with a given seed repeats exactly.
 */
import type { Clock } from './clock.ts';
import { seededRandom } from './seeded-random.ts';

export interface VirtualEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Conditions of a directed link between two hosts. */
export interface LinkConditions {
  /** Probability in [0, 1] that a datagram is lost. */
  readonly loss?: number;
  /** Fixed one-way delay in ms. */
  readonly delayMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs); datagrams overtake one another when it is non-zero. */
  readonly jitterMs?: number;
}

/** RFC 4787 §4.1 mapping and §5 filtering behaviours. */
export type NatBehavior = 'endpoint-independent' | 'address-dependent' | 'address-port-dependent';

export interface NatOptions {
  /** The NAT's external address. */
  readonly publicAddress: string;
  /** Host addresses on the NAT's inside; they are reachable only from each other and through the NAT. */
  readonly insideAddresses: readonly string[];
  readonly mapping: NatBehavior;
  readonly filtering: NatBehavior;
  /** Idle mappings expire after this many ms (default 120 s, the floor of RFC 4787 REQ-5). */
  readonly mappingLifetimeMs?: number;
}

export type DatagramHandler = (data: Uint8Array, from: VirtualEndpoint) => void;

/** Why datagrams were not delivered, for assertions in tests. */
export interface VirtualNetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  unroutable: number;
  filtered: number;
}

/** The largest UDP payload over IPv4 (65535 - 8 - 20). */
const maxDatagram = 65_507;
const firstEphemeralPort = 49_152;

const key = (address: string, port: number) => `${address}|${port}`;

export class VirtualUdpSocket {
  #handler: DatagramHandler | undefined;
  #closed = false;

  constructor(
    readonly network: VirtualNetwork,
    readonly address: string,
    readonly port: number,
  ) {}

  /** Sets the function that receives every datagram addressed to this socket. */
  onMessage(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  /** Sends a datagram; like UDP, it may be lost, delayed or reordered, and nothing reports that. */
  send(data: Uint8Array, address: string, port: number): void {
    if (this.#closed) throw new Error('socket is closed');
    if (data.length > maxDatagram) throw new RangeError(`datagram of ${data.length} bytes is too large`);
    this.network.route(this, data.slice(), { address, port });
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.network.unbind(this);
  }

  deliver(data: Uint8Array, from: VirtualEndpoint): void {
    if (!this.#closed) this.#handler?.(data, from);
  }
}

interface NatMapping {
  readonly inside: VirtualEndpoint;
  readonly publicPort: number;
  /** Remote endpoints this mapping has sent to (for filtering). */
  readonly peers: Set<string>;
  lastUsed: number;
}

export class VirtualNat {
  readonly #byPublicPort = new Map<number, NatMapping>();
  readonly #byMappingKey = new Map<string, NatMapping>();
  #nextPort = firstEphemeralPort;

  constructor(
    readonly options: NatOptions,
    readonly clock: Clock,
  ) {}

  /** How many mappings are live. */
  get mappingCount(): number {
    return this.#byPublicPort.size;
  }

  #lifetime(): number {
    return this.options.mappingLifetimeMs ?? 120_000;
  }

  #expire(mapping: NatMapping): boolean {
    if (this.clock.now() - mapping.lastUsed < this.#lifetime()) return false;
    this.#byPublicPort.delete(mapping.publicPort);
    for (const [k, m] of this.#byMappingKey) if (m === mapping) this.#byMappingKey.delete(k);
    return true;
  }

  #scope(behavior: NatBehavior, remote: VirtualEndpoint): string {
    if (behavior === 'endpoint-independent') return '*';
    return behavior === 'address-dependent' ? remote.address : key(remote.address, remote.port);
  }

  /** Outbound: the public endpoint the datagram leaves with (RFC 4787 §4.1 mapping behaviour). */
  translateOutbound(inside: VirtualEndpoint, remote: VirtualEndpoint): VirtualEndpoint {
    const mappingKey = `${key(inside.address, inside.port)}>${this.#scope(this.options.mapping, remote)}`;
    let mapping = this.#byMappingKey.get(mappingKey);
    if (mapping && this.#expire(mapping)) mapping = undefined;
    if (!mapping) {
      while (this.#byPublicPort.has(this.#nextPort)) this.#nextPort++;
      mapping = { inside, publicPort: this.#nextPort++, peers: new Set(), lastUsed: this.clock.now() };
      this.#byPublicPort.set(mapping.publicPort, mapping);
      this.#byMappingKey.set(mappingKey, mapping);
    }
    mapping.lastUsed = this.clock.now();
    mapping.peers.add(remote.address);
    mapping.peers.add(key(remote.address, remote.port));
    return { address: this.options.publicAddress, port: mapping.publicPort };
  }

  /** Inbound: the inside endpoint, or undefined when no mapping exists or filtering refuses the sender. */
  translateInbound(publicPort: number, from: VirtualEndpoint): VirtualEndpoint | 'filtered' | undefined {
    const mapping = this.#byPublicPort.get(publicPort);
    if (!mapping || this.#expire(mapping)) return undefined;
    const filtering = this.options.filtering;
    if (filtering !== 'endpoint-independent' && !mapping.peers.has(this.#scope(filtering, from)))
      return 'filtered';
    // RFC 4787 REQ-6: inbound traffic does not refresh the mapping in the default (outbound refresh) case.
    return mapping.inside;
  }
}

export interface VirtualNetworkOptions {
  readonly clock: Clock;
  /** Seed of the generator behind loss and jitter. */
  readonly seed?: number;
  /** Conditions of links without their own (default: lossless, 0 ms). */
  readonly defaultLink?: LinkConditions;
}

export class VirtualNetwork {
  readonly clock: Clock;
  readonly stats: VirtualNetworkStats = { sent: 0, delivered: 0, lost: 0, unroutable: 0, filtered: 0 };
  readonly #random: () => number;
  readonly #sockets = new Map<string, VirtualUdpSocket>();
  readonly #links = new Map<string, LinkConditions>();
  readonly #nats: VirtualNat[] = [];
  readonly #natByInside = new Map<string, VirtualNat>();
  readonly #nextPort = new Map<string, number>();
  #defaultLink: LinkConditions;

  constructor(options: VirtualNetworkOptions) {
    this.clock = options.clock;
    this.#random = seededRandom(options.seed ?? 1);
    this.#defaultLink = options.defaultLink ?? {};
  }

  /** Binds a socket; port 0 picks the next free ephemeral port of that address. */
  bind(address: string, port = 0): VirtualUdpSocket {
    let chosen = port;
    if (chosen === 0) {
      chosen = this.#nextPort.get(address) ?? firstEphemeralPort;
      while (this.#sockets.has(key(address, chosen))) chosen++;
      this.#nextPort.set(address, chosen + 1);
    }
    if (this.#sockets.has(key(address, chosen))) throw new Error(`address in use: ${address}:${chosen}`);
    const socket = new VirtualUdpSocket(this, address, chosen);
    this.#sockets.set(key(address, chosen), socket);
    return socket;
  }

  /** Sets the conditions from host `from` to host `to` (host addresses, as bound). */
  setLink(from: string, to: string, conditions: LinkConditions): void {
    this.#links.set(`${from}>${to}`, conditions);
  }

  /** Sets the conditions both ways between two hosts. */
  setLinks(a: string, b: string, conditions: LinkConditions): void {
    this.setLink(a, b, conditions);
    this.setLink(b, a, conditions);
  }

  setDefaultLink(conditions: LinkConditions): void {
    this.#defaultLink = conditions;
  }

  /** Puts hosts behind a NAT. */
  addNat(options: NatOptions): VirtualNat {
    const nat = new VirtualNat(options, this.clock);
    this.#nats.push(nat);
    for (const address of options.insideAddresses) this.#natByInside.set(address, nat);
    return nat;
  }

  unbind(socket: VirtualUdpSocket): void {
    if (this.#sockets.get(key(socket.address, socket.port)) === socket) {
      this.#sockets.delete(key(socket.address, socket.port));
    }
  }

  route(socket: VirtualUdpSocket, data: Uint8Array, to: VirtualEndpoint): void {
    this.stats.sent++;
    const senderNat = this.#natByInside.get(socket.address);
    const receiverNat = this.#natByInside.get(to.address);
    let from: VirtualEndpoint = { address: socket.address, port: socket.port };
    let destination: VirtualEndpoint | undefined = to;
    if (senderNat !== receiverNat) {
      // A private address is reachable only from inside its own NAT.
      if (receiverNat) destination = undefined;
      else if (senderNat) from = senderNat.translateOutbound(from, to);
    }
    const publicNat = destination && this.#nats.find((nat) => nat.options.publicAddress === to.address);
    if (destination && publicNat) {
      const inside = publicNat.translateInbound(to.port, from);
      if (inside === 'filtered') {
        this.stats.filtered++;
        return;
      }
      destination = inside;
    }
    if (!destination) {
      this.stats.unroutable++;
      return;
    }
    const link = this.#links.get(`${socket.address}>${destination.address}`) ?? this.#defaultLink;
    if ((link.loss ?? 0) > 0 && this.#random() < (link.loss ?? 0)) {
      this.stats.lost++;
      return;
    }
    const delay =
      (link.delayMs ?? 0) + ((link.jitterMs ?? 0) > 0 ? this.#random() * (link.jitterMs ?? 0) : 0);
    const target = destination;
    this.clock.setTimeout(() => {
      const receiver = this.#sockets.get(key(target.address, target.port));
      if (!receiver) {
        this.stats.unroutable++;
        return;
      }
      this.stats.delivered++;
      receiver.deliver(data, from);
    }, delay);
  }
}
