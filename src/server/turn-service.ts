import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { IceServerConfigMessage, PeerSession } from '../signaling/index.ts';
import { createTurnRestCredentials, startTurnServer, type TurnServer } from '../turn/index.ts';
import type { Clock, TimerHandle } from '../util/index.ts';

export type TurnOptions = {
  host: string;
  /** UDP and TCP port (RFC 8656 §3.1 default 3478); 0 picks a free one. */
  port: number;
  /** TURN REST API shared secret; a random one when absent (credentials then come only from this process). */
  secret: string | undefined;
  /** Fixed long-term credentials (`--turn-user user:pass`), for clients configured by hand. */
  users: ReadonlyMap<string, string>;
  /** `turns:` on its own port, for networks that only let TLS out. */
  tls: { port: number; cert: string; key: string } | undefined;
  /** The address relays bind and advertise (this host's public address). */
  relayAddress: string | undefined;
  relayPortRange: { min: number; max: number } | undefined;
  /** Relaying to loopback is refused unless this is set (tests on one machine). */
  allowLoopbackPeers: boolean;
  /** Lifetime of the credentials handed out with iceServerConfig. */
  credentialTtlSeconds: number;
  /** Operator's peer ranges (CIDR) to refuse and to allow, ahead of the built-in policy (coturn's denied-peer-ip / allowed-peer-ip). */
  deniedPeerRanges: readonly string[];
  allowedPeerRanges: readonly string[];
  /** Allocations one client IP address may hold at once. */
  allocationsPerAddress: number;
  /**
   * Seconds after a peer's signaling socket closed before the TURN credentials it was given are revoked
   * and their allocations removed; undefined keeps them until they expire.
   */
  revokeAfterLeaveSeconds: number | undefined;
};

export const defaultTurnOptions: TurnOptions = {
  host: '0.0.0.0',
  port: 3478,
  secret: undefined,
  users: new Map(),
  tls: undefined,
  relayAddress: undefined,
  relayPortRange: undefined,
  allowLoopbackPeers: false,
  credentialTtlSeconds: 12 * 3600,
  deniedPeerRanges: [],
  allowedPeerRanges: [],
  allocationsPerAddress: 100,
  revokeAfterLeaveSeconds: 60,
};

export type TurnService = {
  readonly server: TurnServer;
  /**
   * getIceServerConfig's answer: our turn: URI with fresh short-lived REST credentials whose user names the
   * peer and, once it joined one, the room.
   */
  iceServerConfig(
    session: PeerSession,
    room: string | undefined,
    publicHost: string | undefined,
  ): IceServerConfigMessage;
  /** The peer's signaling socket closed: its credentials are revoked after revokeAfterLeaveSeconds. */
  sessionClosed(session: PeerSession): void;
  close(): Promise<void>;
};

/** The STUN/TURN server of `dyad serve`, and the credentials the signaling server hands out for it. */
export async function startTurnService(
  options: TurnOptions,
  registry: Registry,
  logger: Logger,
  clock: Clock,
): Promise<TurnService> {
  const secret = options.secret ?? randomBytes(32).toString('base64');
  const server = await startTurnServer({
    host: options.host,
    port: options.port,
    tls: options.tls,
    realm: 'dyad',
    authSecret: secret,
    staticUsers: options.users,
    relayAddress: options.relayAddress,
    relayPortRange: options.relayPortRange,
    allowLoopbackPeers: options.allowLoopbackPeers,
    deniedPeerRanges: options.deniedPeerRanges,
    allowedPeerRanges: options.allowedPeerRanges,
    quotas: { perSourceAddress: options.allocationsPerAddress },
    metricsRegistry: registry,
    logger: logger.child({ component: 'turn' }),
  });
  /** The REST users handed to each open session, revoked when it closes. */
  const usersOf = new WeakMap<PeerSession, Set<string>>();
  const revocations = new Set<TimerHandle>();
  const revoke = (users: Set<string>) => {
    for (const user of users) server.revokeUser(user);
  };
  return {
    server,
    iceServerConfig(session, room, publicHost) {
      const user = room === undefined ? session.peerId : `${room}/${session.peerId}`;
      const users = usersOf.get(session) ?? new Set<string>();
      usersOf.set(session, users.add(user));
      // The Ant Media protocol carries one URI; a turn: URI also serves STUN Binding requests.
      const credentials = createTurnRestCredentials(secret, user, options.credentialTtlSeconds);
      return {
        command: 'iceServerConfig',
        stunServerUri: `turn:${publicHost ?? session.host}:${server.udp.port}`,
        turnServerUsername: credentials.username,
        turnServerCredential: credentials.password,
      };
    },
    sessionClosed(session) {
      const users = usersOf.get(session);
      const delaySeconds = options.revokeAfterLeaveSeconds;
      if (!users || delaySeconds === undefined) return;
      usersOf.delete(session);
      if (delaySeconds === 0) return revoke(users);
      // A grace period, because a signaling socket may drop while the call it set up goes on: the client
      // reconnects and gets new credentials, and its relay keeps working meanwhile.
      const timer = clock.setTimeout(() => {
        revocations.delete(timer);
        revoke(users);
      }, delaySeconds * 1000);
      revocations.add(timer);
    },
    close: () => {
      for (const timer of revocations) clock.clearTimeout(timer);
      revocations.clear();
      return server.close();
    },
  };
}
