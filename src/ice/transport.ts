/**
 * The sockets the ICE agent uses, behind an interface: the Node implementation (node:dgram and
 * node:os) in production, an in-memory one over util's VirtualNetwork in tests.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { connectTurnTransport, type TurnClientTransport, type TurnServerAddress } from '../turn/index.ts';
import type { VirtualNetwork, VirtualUdpSocket } from '../util/index.ts';
import { DatagramBoundary, type DatagramErrorReporter } from './datagram-boundary.ts';
import { MdnsResolver } from './mdns.ts';

/** IPv4 or IPv6 from an address text (IPv6 addresses contain ':'). */
export function addressFamily(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * ICE sends only to IP addresses (host names are resolved while gathering, mDNS names by the resolver).
 * dgram would look each one up again through dns.lookup and send on the next tick, once per datagram;
 * answering at once keeps the send synchronous and skips that work.
 */
function literalLookup(
  address: string,
  _family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const version = isIP(address);
  if (version === 0) callback(new Error(`not an IP address: ${address}`), address, 0);
  else callback(null, address, version);
}

export interface IceEndpoint {
  readonly address: string;
  readonly port: number;
}

export type IceDatagramHandler = (data: Uint8Array, from: IceEndpoint) => void;

/** A bound UDP socket. */
export interface IceSocket {
  readonly address: string;
  readonly port: number;
  send(data: Uint8Array, address: string, port: number): void;
  onMessage(handler: IceDatagramHandler): void;
  close(): void;
}

/** An address of a local network interface. */
export interface IceInterfaceAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  /** Loopback. */
  readonly internal: boolean;
}

export interface IceTransport {
  /** Addresses of the local interfaces. */
  interfaces(): IceInterfaceAddress[];
  /** Binds a UDP socket on an ephemeral port of `address`. */
  bind(address: string): Promise<IceSocket>;
  /** Resolves a STUN/TURN server host name to addresses; IP literals need no resolution. */
  resolveHost(host: string): Promise<string[]>;
  /** Resolves a browser's `<uuid>.local` name by multicast DNS; undefined when nobody answers. */
  resolveMdns(name: string): Promise<string | undefined>;
  /** Opens the connection a TURN client talks to its server over (UDP, TCP or TLS). */
  connectTurn(server: TurnServerAddress): Promise<TurnClientTransport>;
  close(): void;
}

class NodeIceSocket implements IceSocket {
  #handler: IceDatagramHandler | undefined;
  #closed = false;

  constructor(
    readonly socket: Socket,
    readonly address: string,
    readonly port: number,
    readonly onClose: (socket: NodeIceSocket) => void,
    boundary: DatagramBoundary,
  ) {
    socket.on('message', (message, info) => {
      // An ICE agent's handler catches and counts what its processing throws (datagram-boundary.ts);
      // this is the last resort for any other handler: the datagram is dropped, never the process.
      try {
        this.#handler?.(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
          address: info.address,
          port: info.port,
        });
      } catch (error) {
        boundary.caught(error);
      }
    });
    // Send errors (unreachable networks, ICMP errors) surface here; a lost datagram is what ICE expects.
    socket.on('error', () => {});
  }

  send(data: Uint8Array, address: string, port: number): void {
    // No callback: with one, dgram queues a process.nextTick per datagram to call it; failures still
    // reach the 'error' listener above.
    this.socket.send(data, port, address);
  }

  onMessage(handler: IceDatagramHandler): void {
    this.#handler = handler;
  }

  close(): void {
    // Both the gatherer and the transport close sockets; dgram throws (an error with a stack trace) on a
    // second close, so only the first one reaches it.
    if (this.#closed) return;
    this.#closed = true;
    this.socket.close();
    this.onClose(this);
  }
}

/**
 * node:os reads the interfaces with a netlink dump of ~50 µs, a noticeable part of a loopback connection's
 * setup; connections made within a second of each other share one reading, and an interface that comes or
 * goes is seen by gatherings (and ICE restarts) that start a second later.
 */
const INTERFACES_MAX_AGE_MS = 1000;
let interfacesRead: { at: number; addresses: readonly IceInterfaceAddress[] } | undefined;

function localInterfaces(now: number): readonly IceInterfaceAddress[] {
  if (interfacesRead && now - interfacesRead.at < INTERFACES_MAX_AGE_MS) return interfacesRead.addresses;
  const addresses: IceInterfaceAddress[] = [];
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      // IPv6 link-local addresses need a zone index on every send; like browsers, leave them out.
      if (info.family === 'IPv6' && /^fe[89ab]/i.test(info.address)) continue;
      addresses.push({ address: info.address, family: info.family, internal: info.internal });
    }
  }
  interfacesRead = { at: now, addresses };
  return addresses;
}

export interface NodeIceTransportOptions {
  /** Resolve `.local` candidates with multicast DNS (default true). */
  readonly mdns?: boolean;
  /** Milliseconds to wait for an mDNS answer (default 1500). */
  readonly mdnsTimeoutMs?: number;
  /** Where reports of datagrams dropped because a handler threw go; a process warning by default. */
  readonly reportDatagramError?: DatagramErrorReporter;
}

/** Real sockets: node:os for interfaces, node:dgram for UDP, node:dns for server names. */
export class NodeIceTransport implements IceTransport {
  readonly #sockets = new Set<IceSocket>();
  readonly #mdns: MdnsResolver | undefined;
  /** Datagrams of these sockets (mDNS included) dropped because their handler threw. */
  readonly datagramErrors: DatagramBoundary;

  constructor(options: NodeIceTransportOptions = {}) {
    this.datagramErrors = new DatagramBoundary(
      options.reportDatagramError ? { report: options.reportDatagramError } : {},
    );
    this.#mdns =
      options.mdns === false
        ? undefined
        : new MdnsResolver({ timeoutMs: options.mdnsTimeoutMs, boundary: this.datagramErrors });
  }

  interfaces(): IceInterfaceAddress[] {
    return [...localInterfaces(Date.now())];
  }

  bind(address: string): Promise<IceSocket> {
    return new Promise((resolve, reject) => {
      const ipv6 = addressFamily(address) === 'IPv6';
      // ipv6Only keeps an IPv6 socket from also taking IPv4-mapped traffic; on an IPv4 socket it is an error.
      const socket = createSocket(
        ipv6
          ? { type: 'udp6', ipv6Only: true, lookup: literalLookup }
          : { type: 'udp4', lookup: literalLookup },
      );
      socket.once('error', reject);
      socket.bind({ address, port: 0 }, () => {
        socket.off('error', reject);
        const wrapped = new NodeIceSocket(
          socket,
          address,
          socket.address().port,
          (closed) => this.#sockets.delete(closed),
          this.datagramErrors,
        );
        this.#sockets.add(wrapped);
        resolve(wrapped);
      });
    });
  }

  async resolveHost(host: string): Promise<string[]> {
    const results = await lookup(host, { all: true });
    return results.map((result) => result.address);
  }

  async resolveMdns(name: string): Promise<string | undefined> {
    return this.#mdns?.resolve(name);
  }

  connectTurn(server: TurnServerAddress): Promise<TurnClientTransport> {
    return connectTurnTransport(server);
  }

  close(): void {
    for (const socket of [...this.#sockets]) socket.close();
    this.#mdns?.close();
  }
}

class VirtualIceSocket implements IceSocket {
  constructor(readonly socket: VirtualUdpSocket) {}
  get address(): string {
    return this.socket.address;
  }
  get port(): number {
    return this.socket.port;
  }
  send(data: Uint8Array, address: string, port: number): void {
    if (!this.socket.closed) this.socket.send(data, address, port);
  }
  onMessage(handler: IceDatagramHandler): void {
    this.socket.onMessage(handler);
  }
  close(): void {
    this.socket.close();
  }
}

/** A host on a VirtualNetwork with the given interface addresses, and optional mDNS names it can resolve. */
export class VirtualIceTransport implements IceTransport {
  readonly #sockets = new Set<IceSocket>();

  constructor(
    readonly network: VirtualNetwork,
    readonly addresses: readonly string[],
    readonly names: ReadonlyMap<string, string> = new Map(),
  ) {}

  interfaces(): IceInterfaceAddress[] {
    return this.addresses.map((address) => ({
      address,
      family: addressFamily(address),
      internal: address === '127.0.0.1' || address === '::1',
    }));
  }

  async bind(address: string): Promise<IceSocket> {
    const socket = new VirtualIceSocket(this.network.bind(address));
    this.#sockets.add(socket);
    return socket;
  }

  async resolveHost(host: string): Promise<string[]> {
    return [host];
  }

  async resolveMdns(name: string): Promise<string | undefined> {
    return this.names.get(name.toLowerCase());
  }

  /** No TURN server runs on the virtual network (TURN is tested on real loopback sockets). */
  connectTurn(server: TurnServerAddress): Promise<TurnClientTransport> {
    return Promise.reject(
      new Error(`no TURN server at ${server.host}:${server.port} on the virtual network`),
    );
  }

  close(): void {
    for (const socket of this.#sockets) socket.close();
    this.#sockets.clear();
  }
}
