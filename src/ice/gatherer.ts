/**
 * Candidate gathering (RFC 8445 §5.1.1): a host candidate for every usable interface address, and a
 * server-reflexive candidate per host socket and STUN server, with the Binding requests paced every Ta
 * (§5.1.1.2, §14.2) and redundant candidates dropped (§5.1.3).
 */

import type { ConnectionOptions } from 'node:tls';
import {
  createStunMessage,
  ERROR_CODE,
  getAttribute,
  StunMethod,
  type StunRetransmitOptions,
  StunTimeoutError,
  StunTransactionClosedError,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import { TurnClient, TurnRequestError } from '../turn/index.ts';
import type { Clock } from '../util/index.ts';
import {
  candidatePriority,
  type FoundationAllocator,
  type IceCandidateError,
  type LocalCandidate,
  localPreferenceOf,
} from './candidate.ts';
import { TurnRelaySocket } from './relay.ts';
import type { StunRouter } from './stun-router.ts';
import {
  addressFamily,
  type IceEndpoint,
  type IceInterfaceAddress,
  type IceSocket,
  type IceTransport,
} from './transport.ts';

/** A W3C RTCIceServer. */
export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface IceServerUrl {
  readonly scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  readonly host: string;
  readonly port: number;
  readonly transport?: 'udp' | 'tcp';
}

/** RFC 7064 §3.1 (stun:) and RFC 7065 §3.1 (turn:) URIs: `scheme:host[:port][?transport=udp|tcp]`. */
export function parseIceServerUrl(url: string): IceServerUrl {
  const match =
    /^(stuns?|turns?):(\[[0-9A-Fa-f:.]+\]|[^:?[\]/]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i.exec(url);
  if (!match) throw new TypeError(`not a STUN or TURN URL: ${url}`);
  const scheme = match[1]!.toLowerCase() as IceServerUrl['scheme'];
  const secure = scheme === 'stuns' || scheme === 'turns';
  const port = match[3] === undefined ? (secure ? 5349 : 3478) : Number(match[3]);
  if (port < 1 || port > 65535) throw new TypeError(`bad port in ${url}`);
  const host = match[2]!.replace(/^\[|\]$/g, '');
  const transport = match[4]?.toLowerCase() as 'udp' | 'tcp' | undefined;
  return transport === undefined ? { scheme, host, port } : { scheme, host, port, transport };
}

export interface GathererOptions {
  readonly transport: IceTransport;
  readonly clock: Clock;
  readonly router: StunRouter;
  readonly foundations: FoundationAllocator;
  readonly includeLoopback: boolean;
  readonly ipv6: boolean;
  readonly taMs: number;
  /** Retransmissions of Binding requests to STUN servers. */
  readonly serverRetransmit: StunRetransmitOptions;
  /** TLS options (trust anchors, ...) for `turns:` servers. */
  readonly turnTls?: ConnectionOptions | undefined;
  /** Called for every datagram arriving on a host or relay socket. */
  readonly onDatagram: (local: LocalCandidate, data: Uint8Array, from: IceEndpoint) => void;
  /** A STUN or TURN server that gave no candidate, and why. */
  readonly onCandidateError: (error: IceCandidateError) => void;
}

/** W3C webrtc-pc §4.8.2: the code for a server that could not be reached at all. */
const SERVER_UNREACHABLE = 701;

/** A STUN server to query: where it is and the URL it was configured with. */
interface StunTarget extends IceEndpoint {
  readonly url: string;
}

/** The error code and text a gathering failure reports, or undefined when gathering was just closing. */
function describeFailure(error: unknown): { errorCode: number; errorText: string } | undefined {
  if (error instanceof StunTransactionClosedError) return undefined;
  if (error instanceof TurnRequestError) return { errorCode: error.code, errorText: error.reason };
  if (error instanceof StunTimeoutError) {
    return { errorCode: SERVER_UNREACHABLE, errorText: 'the server did not answer' };
  }
  return { errorCode: SERVER_UNREACHABLE, errorText: error instanceof Error ? error.message : String(error) };
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** Orders interfaces for local preference (RFC 8445 §5.1.2.1, RFC 8421): IPv6, then IPv4, loopback last. */
function rank(address: IceInterfaceAddress): number {
  return (address.internal ? 2 : 0) + (address.family === 'IPv6' ? 0 : 1);
}

export class Gatherer {
  readonly hosts: LocalCandidate[] = [];
  readonly relays: LocalCandidate[] = [];
  readonly #options: GathererOptions;
  #binding: Promise<LocalCandidate[]> | undefined;
  #allocating: Promise<void> | undefined;
  readonly #relayListeners = new Set<(local: LocalCandidate) => void>();
  readonly #allocatingClients = new Set<TurnClient>();
  #closed = false;

  constructor(options: GathererOptions) {
    this.#options = options;
  }

  /** Binds one socket per usable interface address (once) and returns the host candidates. */
  gatherHosts(): Promise<LocalCandidate[]> {
    // Bound once, and shared by a gathering that a restart started while the first was binding.
    this.#binding ??= this.#bindHosts();
    return this.#binding;
  }

  async #bindHosts(): Promise<LocalCandidate[]> {
    const { transport, includeLoopback, ipv6 } = this.#options;
    const addresses = transport
      .interfaces()
      .filter((a) => (includeLoopback || !a.internal) && (ipv6 || a.family === 'IPv4'))
      .sort((a, b) => rank(a) - rank(b));
    const bound = await Promise.all(
      addresses.map((address) => transport.bind(address.address).catch(() => undefined)),
    );
    bound.forEach((socket, index) => {
      if (!socket) return;
      if (this.#closed) {
        socket.close();
        return;
      }
      // Distinct local preferences per address, highest first (RFC 8445 §5.1.2.1).
      const localPreference = 65535 - index * 256;
      const local: LocalCandidate = {
        socket,
        candidate: {
          foundation: this.#options.foundations.foundationFor('host', socket.address, undefined),
          component: 1,
          transport: 'udp',
          priority: candidatePriority('host', Math.max(0, localPreference), 1),
          address: socket.address,
          port: socket.port,
          type: 'host',
          extensions: [],
        },
      };
      socket.onMessage((data, from) => this.#options.onDatagram(local, data, from));
      this.hosts.push(local);
    });
    return this.hosts;
  }

  /**
   * Queries every STUN server from every non-loopback host socket of its address family, one new
   * transaction every Ta, calling `onCandidate` for each new server-reflexive candidate.
   */
  async gatherServerReflexive(
    servers: readonly IceServer[],
    onCandidate: (local: LocalCandidate) => void,
  ): Promise<void> {
    const targets = await this.#resolveStunServers(servers);
    const queries: Promise<void>[] = [];
    const seen = new Set<string>();
    for (const host of this.hosts) {
      if (this.#isLoopback(host.socket)) continue;
      for (const server of targets) {
        if (addressFamily(server.address) !== addressFamily(host.socket.address)) continue;
        if (queries.length > 0) await sleep(this.#options.clock, this.#options.taMs);
        queries.push(this.#query(host, server, seen, onCandidate));
      }
    }
    await Promise.all(queries);
  }

  #isLoopback(socket: IceSocket): boolean {
    return socket.address === '::1' || socket.address.startsWith('127.');
  }

  async #resolveStunServers(servers: readonly IceServer[]): Promise<StunTarget[]> {
    const targets: StunTarget[] = [];
    for (const server of servers) {
      for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
        const parsed = parseIceServerUrl(url);
        // Only plain STUN over UDP gives server-reflexive candidates here; TURN is the relay client's job.
        if (parsed.scheme !== 'stun') continue;
        const addresses = await this.#options.transport.resolveHost(parsed.host).catch(() => []);
        if (addresses.length === 0) this.#reportUnresolved(url, parsed.host);
        for (const address of addresses) targets.push({ address, port: parsed.port, url });
      }
    }
    return targets;
  }

  #reportUnresolved(url: string, host: string): void {
    if (this.#closed) return;
    this.#options.onCandidateError({
      address: null,
      port: null,
      url,
      errorCode: SERVER_UNREACHABLE,
      errorText: `${host} did not resolve`,
    });
  }

  async #query(
    host: LocalCandidate,
    server: StunTarget,
    seen: Set<string>,
    onCandidate: (local: LocalCandidate) => void,
  ): Promise<void> {
    const report = (failure: { errorCode: number; errorText: string }) => {
      if (this.#closed) return;
      const { address, port } = host.socket;
      this.#options.onCandidateError({ address, port, url: server.url, ...failure });
    };
    const transactions = this.#options.router.transactions(
      host.socket,
      server,
      'server',
      this.#options.serverRetransmit,
    );
    try {
      const response = await transactions.request(createStunMessage(StunMethod.Binding, 'request'), {
        fingerprint: true,
      });
      if (response.class !== 'success') {
        const error = getAttribute(response, ERROR_CODE);
        report({ errorCode: error?.code ?? 500, errorText: error?.reason ?? 'error response' });
        return;
      }
      const mapped = getAttribute(response, XOR_MAPPED_ADDRESS);
      if (!mapped) {
        report({ errorCode: 500, errorText: 'no XOR-MAPPED-ADDRESS in the response' });
        return;
      }
      const key = `${host.socket.address}|${mapped.address}|${mapped.port}`;
      // RFC 8445 §5.1.3: a server-reflexive candidate equal to its base (no NAT) is redundant.
      if (seen.has(key) || (mapped.address === host.socket.address && mapped.port === host.socket.port))
        return;
      seen.add(key);
      const base = host.candidate;
      onCandidate({
        socket: host.socket,
        candidate: {
          foundation: this.#options.foundations.foundationFor('srflx', base.address, server.address),
          component: 1,
          transport: 'udp',
          priority: candidatePriority('srflx', localPreferenceOf(base.priority), 1),
          address: mapped.address,
          port: mapped.port,
          type: 'srflx',
          relatedAddress: base.address,
          relatedPort: base.port,
          extensions: [],
        },
      });
    } catch (error) {
      // A silent or failing server gives no candidate; gathering goes on (RFC 8445 §5.1.1.2).
      const failure = describeFailure(error);
      if (failure) report(failure);
    }
  }

  /**
   * One allocation per TURN URL (RFC 8445 §5.1.1.2), made once and kept across restarts. Servers that
   * cannot be reached or refuse the credentials give no candidate.
   */
  gatherRelayed(servers: readonly IceServer[], onCandidate: (local: LocalCandidate) => void): Promise<void> {
    // Each relay is handed out as soon as its allocation succeeds: a TURN-over-TCP relay must not wait
    // for a TURN-over-UDP attempt that a firewall makes time out (tens of seconds).
    for (const relay of this.relays) onCandidate(relay);
    this.#relayListeners.add(onCandidate);
    this.#allocating ??= this.#allocate(servers);
    return this.#allocating.finally(() => this.#relayListeners.delete(onCandidate));
  }

  async #allocate(servers: readonly IceServer[]): Promise<void> {
    const targets: { text: string; url: IceServerUrl; server: IceServer }[] = [];
    for (const server of servers) {
      for (const text of typeof server.urls === 'string' ? [server.urls] : server.urls) {
        const url = parseIceServerUrl(text);
        if (url.scheme === 'turn' || url.scheme === 'turns') targets.push({ text, url, server });
      }
    }
    await Promise.all(
      targets.map(({ text, url, server }, index) =>
        this.#allocateOne(url, server, index).then(
          (relay) => {
            if (!relay) return;
            this.relays.push(relay);
            for (const listener of this.#relayListeners) listener(relay);
          },
          (error: unknown) => {
            // An unreachable or refusing TURN server gives no candidate; gathering goes on. The local
            // address of the connection to it is not exposed in any candidate, so it is not reported.
            const failure = describeFailure(error);
            if (failure && !this.#closed) {
              this.#options.onCandidateError({ address: null, port: null, url: text, ...failure });
            }
          },
        ),
      ),
    );
  }

  async #allocateOne(
    url: IceServerUrl,
    server: IceServer,
    index: number,
  ): Promise<LocalCandidate | undefined> {
    const { transport, clock } = this.#options;
    const protocol = url.scheme === 'turns' ? 'tls' : (url.transport ?? 'udp');
    const [address] = await transport.resolveHost(url.host).catch(() => []);
    if (!address) throw new Error(`${url.host} did not resolve`);
    const connection = await transport.connectTurn({
      host: address,
      port: url.port,
      protocol,
      ...(protocol === 'tls' ? { tls: { servername: url.host, ...this.#options.turnTls } } : {}),
    });
    if (this.#closed) {
      connection.close();
      return undefined;
    }
    const client = new TurnClient({
      transport: connection,
      clock,
      username: server.username ?? '',
      password: server.credential ?? '',
    });
    let allocation: Awaited<ReturnType<TurnClient['allocate']>>;
    // Closing the gatherer abandons allocations still waiting for an answer (a firewall may make a UDP
    // one wait for its whole retransmission schedule).
    this.#allocatingClients.add(client);
    try {
      allocation = await client.allocate();
    } catch (error) {
      void client.close();
      throw error;
    } finally {
      this.#allocatingClients.delete(client);
    }
    if (this.#closed) {
      void client.close();
      return undefined;
    }
    const socket = new TurnRelaySocket(client, allocation);
    // RFC 8445 §5.1.2.1 with RFC 8421-style transport preference: UDP, then TCP, then TLS relays.
    const localPreference = 65535 - ({ udp: 0, tcp: 1, tls: 2 }[protocol] * 8192 + index * 64);
    const local: LocalCandidate = {
      socket,
      candidate: {
        foundation: this.#options.foundations.foundationFor(
          'relay',
          allocation.mapped.address,
          address,
          protocol,
        ),
        component: 1,
        transport: 'udp',
        priority: candidatePriority('relay', Math.max(0, localPreference), 1),
        address: allocation.relayed.address,
        port: allocation.relayed.port,
        type: 'relay',
        // RFC 8839 §5.1: a relayed candidate's related address is the client's mapped address.
        relatedAddress: allocation.mapped.address,
        relatedPort: allocation.mapped.port,
        extensions: [],
      },
    };
    socket.onMessage((data, from) => this.#options.onDatagram(local, data, from));
    return local;
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#allocatingClients) void client.close();
    for (const local of [...this.hosts, ...this.relays]) local.socket.close();
    this.relays.length = 0;
    this.hosts.length = 0;
  }
}
