import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { IceServerConfigMessage, PeerSession } from '../signaling/index.ts';
import { createTurnRestCredentials, startTurnServer, type TurnServer } from '../turn/index.ts';

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
};

export type TurnService = {
  readonly server: TurnServer;
  /** getIceServerConfig's answer: our turn: URI with fresh short-lived REST credentials. */
  iceServerConfig(session: PeerSession, publicHost: string | undefined): IceServerConfigMessage;
  close(): Promise<void>;
};

/** The STUN/TURN server of `dyad serve`, and the credentials the signaling server hands out for it. */
export async function startTurnService(
  options: TurnOptions,
  registry: Registry,
  logger: Logger,
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
    metricsRegistry: registry,
    logger: logger.child({ component: 'turn' }),
  });
  logger.info(
    { udp: server.udp.port, tcp: server.tcp?.port, tls: server.tls?.port },
    'turn server listening',
  );
  return {
    server,
    iceServerConfig(session, publicHost) {
      // The Ant Media protocol carries one URI; a turn: URI also serves STUN Binding requests.
      const credentials = createTurnRestCredentials(secret, session.peerId, options.credentialTtlSeconds);
      return {
        command: 'iceServerConfig',
        stunServerUri: `turn:${publicHost ?? session.host}:${server.udp.port}`,
        turnServerUsername: credentials.username,
        turnServerCredential: credentials.password,
      };
    },
    close: () => server.close(),
  };
}
