/** startTurnServer: a STUN/TURN server (RFC 8489, RFC 8656) on UDP, TCP and optionally TLS. */
import type { Socket as UdpSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Registry } from 'prom-client';
import type { IpFamily, TransportAddress } from '../stun/index.ts';
import { type Clock, systemClock } from '../util/index.ts';
import { PeerAddressPolicy } from './address-policy.ts';
import { CredentialStore, NonceIssuer } from './auth.ts';
import { TurnServerCore } from './core.ts';
import { listenStream, listenUdp, type StreamListener, type TlsCredentials } from './listeners.ts';
import { registerTurnMetrics, TurnCounters } from './metrics.ts';
import type { TurnLogger, TurnQuotas } from './options.ts';
import { SourceRateLimiter } from './rate-limit.ts';
import { type PortRange, UdpRelayAllocator } from './relay-sockets.ts';

export interface TurnServerOptions {
  /** Address to listen on; '0.0.0.0' (the default) for all IPv4 interfaces, '::' for all. */
  readonly host?: string;
  /** UDP and TCP port; 3478 by default (RFC 8656 §3.1), 0 for an ephemeral one shared by both. */
  readonly port?: number;
  /** Also listen on TCP (default true). */
  readonly tcp?: boolean;
  /** "turns:" over TLS on its own port (0 for ephemeral). */
  readonly tls?: TlsCredentials & { readonly port: number };
  readonly realm?: string;
  /** TURN REST API shared secret (coturn's use-auth-secret). */
  readonly authSecret?: string;
  /** Fixed long-term credentials: user -> password. */
  readonly staticUsers?: ReadonlyMap<string, string>;
  /** The IPv4 address relays bind and advertise; by default the listen address, or the first public interface. */
  readonly relayAddress?: string;
  /** The IPv6 address for REQUESTED-ADDRESS-FAMILY IPv6 relays; found like relayAddress when omitted. */
  readonly relayAddressV6?: string;
  readonly relayPortRange?: PortRange;
  /** Allows relaying to 127.0.0.0/8 and ::1 (tests on one machine): shorthand for allowing those ranges. */
  readonly allowLoopbackPeers?: boolean;
  /**
   * Ranges (CIDR) allowed as peers whatever else refuses them (special ranges, the server's own addresses,
   * deniedPeerRanges), e.g. the operator's LAN. An invalid one makes startTurnServer reject with an Error
   * naming it.
   */
  readonly allowedPeerRanges?: readonly string[];
  /** Ranges (CIDR) refused as peers although the defaults allow them; allowedPeerRanges wins over them. */
  readonly deniedPeerRanges?: readonly string[];
  /**
   * Limits: allocations per user (perUser, default 10), per client IP address (perSourceAddress, default 100),
   * in total (total, default 10,000); permissions per allocation (default 1000); open TCP/TLS connections.
   */
  readonly quotas?: Partial<TurnQuotas> & { readonly maxStreamConnections?: number };
  /** Per-source limit on unauthenticated requests (Binding, challenges); default 100/s, bursts of 200. */
  readonly unauthenticatedRateLimit?: { readonly ratePerSecond: number; readonly burst: number };
  readonly nonceLifetimeSeconds?: number;
  /** A prom-client registry to publish the TURN metrics in. */
  readonly metricsRegistry?: Registry;
  /** A pino-compatible logger. */
  readonly logger?: TurnLogger;
  readonly clock?: Clock;
  /** Wall-clock ms for REST credential expiry (default Date.now). */
  readonly wallClock?: () => number;
}

export interface TurnServer {
  readonly udp: TransportAddress;
  readonly tcp?: TransportAddress;
  readonly tls?: TransportAddress;
  /** Relay addresses by family. */
  readonly relayAddresses: Partial<Record<IpFamily, string>>;
  /** Live counters (also published as metrics). */
  readonly counters: TurnCounters;
  readonly allocationCount: number;
  /**
   * Removes every allocation whose user (the user part of REST usernames "expiry:user", or a static
   * username) is `user`, and refuses that user's credentials until they expire or for 24 hours, whichever
   * is shorter. Returns how many allocations were removed.
   */
  revokeUser(user: string): number;
  close(): Promise<void>;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

function firstInterfaceAddress(family: IpFamily): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === family && !entry.internal && !entry.address.startsWith('fe80'))
        return entry.address;
    }
  }
  return undefined;
}

/**
 * The addresses of this host peers may not be sent to (RFC 8656 §21.2.3): every interface address as the
 * server starts, the listen address and the relay addresses.
 */
function serverAddresses(host: string, relays: Partial<Record<IpFamily, string>>): string[] {
  const addresses = new Set<string>(Object.values(relays));
  if (!isWildcard(host)) addresses.add(host);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) addresses.add(entry.address);
  }
  return [...addresses];
}

function hasLoopbackV6(): boolean {
  return Object.values(networkInterfaces()).some((entries) =>
    entries?.some((entry) => entry.address === '::1'),
  );
}

/** Where relays live: explicit options first, then the listen address, then the host's interfaces. */
function relayAddresses(host: string, options: TurnServerOptions): Partial<Record<IpFamily, string>> {
  const hostIsV6 = host.includes(':');
  const v4 =
    options.relayAddress ??
    (!hostIsV6 && !isWildcard(host)
      ? host
      : (firstInterfaceAddress('IPv4') ?? (hostIsV6 ? undefined : '127.0.0.1')));
  let v6 = options.relayAddressV6;
  if (v6 === undefined) {
    if (hostIsV6 && !isWildcard(host)) v6 = host;
    else if (host.startsWith('127.') && hasLoopbackV6()) v6 = '::1';
    else if (isWildcard(host)) v6 = firstInterfaceAddress('IPv6');
  }
  const out: Partial<Record<IpFamily, string>> = {};
  if (v4 !== undefined) out.IPv4 = v4;
  if (v6 !== undefined) out.IPv6 = v6;
  return out;
}

export async function startTurnServer(options: TurnServerOptions = {}): Promise<TurnServer> {
  const host = options.host ?? '0.0.0.0';
  const realm = options.realm ?? 'dyad';
  if (options.authSecret === undefined && (options.staticUsers?.size ?? 0) === 0) {
    throw new Error('a TURN server needs authSecret or staticUsers');
  }
  const clock = options.clock ?? systemClock;
  const counters = new TurnCounters();
  const relays = relayAddresses(host, options);
  // Built first: an invalid range in the options throws here, before any socket is open.
  const policy = new PeerAddressPolicy({
    allowLoopbackPeers: options.allowLoopbackPeers,
    allowedPeerRanges: options.allowedPeerRanges,
    deniedPeerRanges: options.deniedPeerRanges,
    serverAddresses: serverAddresses(host, relays),
  });
  if (options.metricsRegistry) registerTurnMetrics(options.metricsRegistry, counters);
  const relayAllocator = new UdpRelayAllocator(
    relays,
    options.relayPortRange ?? { min: 49152, max: 65535 },
    (error, source) => core.inputErrors.record('relay', error, source),
  );
  const core = new TurnServerCore({
    clock,
    credentials: new CredentialStore({
      realm,
      authSecret: options.authSecret,
      staticUsers: options.staticUsers,
      wallClock: options.wallClock,
    }),
    nonces: new NonceIssuer((options.nonceLifetimeSeconds ?? 600) * 1000),
    policy,
    rateLimiter: new SourceRateLimiter(
      options.unauthenticatedRateLimit ?? { ratePerSecond: 100, burst: 200 },
    ),
    counters,
    relays: relayAllocator,
    quotas: {
      perUser: options.quotas?.perUser ?? 10,
      perSourceAddress: options.quotas?.perSourceAddress ?? 100,
      total: options.quotas?.total ?? 10_000,
      permissionsPerAllocation: options.quotas?.permissionsPerAllocation ?? 1000,
    },
    defaultLifetimeSeconds: 600,
    maxLifetimeSeconds: 3600,
    logger: options.logger,
  });
  const maxStreams = options.quotas?.maxStreamConnections ?? 10_000;

  // With port 0, TCP picks a port and UDP must take the same number. TCP goes first because its ports are
  // the crowded ones (every connection holds one); retry while UDP finds the number taken.
  const port = options.port ?? 3478;
  let udp: UdpSocket | undefined;
  let tcp: StreamListener | undefined;
  for (let attempt = 0; !udp; attempt++) {
    if (options.tcp === false) {
      udp = await listenUdp(core, host, port);
      break;
    }
    tcp = await listenStream(core, host, port, maxStreams);
    try {
      udp = await listenUdp(core, host, tcp.port);
    } catch (error) {
      await tcp.close();
      if (port !== 0 || attempt >= 19) throw error;
    }
  }
  const tls = options.tls
    ? await listenStream(core, host, options.tls.port, maxStreams, options.tls).catch(
        async (error: unknown) => {
          udp?.close();
          await tcp?.close();
          throw error;
        },
      )
    : undefined;

  const family: IpFamily = host.includes(':') ? 'IPv6' : 'IPv4';
  const addressOf = (port: number): TransportAddress => ({ family, address: host, port });
  const udpSocket = udp;
  options.logger?.info(
    { udp: udpSocket.address().port, tcp: tcp?.port, tls: tls?.port, relays, realm },
    'TURN server listening',
  );
  return {
    udp: addressOf(udpSocket.address().port),
    tcp: tcp ? addressOf(tcp.port) : undefined,
    tls: tls ? addressOf(tls.port) : undefined,
    relayAddresses: relays,
    counters,
    get allocationCount() {
      return core.allocations.size;
    },
    revokeUser: (user) => core.revokeUser(user),
    async close() {
      core.close();
      udpSocket.close();
      await Promise.all([tcp?.close(), tls?.close()]);
    },
  };
}
