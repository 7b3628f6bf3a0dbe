import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { type Logger, pino } from 'pino';
import { defaultServerOptions, defaultTurnOptions, startServer, type TurnOptions } from '../server/index.ts';
import { buildWebAppIfStale } from './web-build.ts';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const defaultWebDir = join(packageRoot, 'web');

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new Error(`${name} must be a whole number, got "${value}"`);
    return parsed;
  };
}

function collectTurnUsers(value: string, previous: Map<string, string> | undefined): Map<string, string> {
  const separator = value.indexOf(':');
  if (separator <= 0) throw new Error(`--turn-user takes user:password, got "${value}"`);
  return new Map(previous).set(value.slice(0, separator), value.slice(separator + 1));
}

function portRange(value: string): { min: number; max: number } {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const [min, max] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || min < 1 || max > 65_535 || min > max)
    throw new Error(`--turn-relay-ports takes min-max, got "${value}"`);
  return { min, max };
}

type TurnFlags = {
  host: string;
  turnPort: number;
  turnSecret?: string;
  turnUser?: Map<string, string>;
  turnTlsPort?: number;
  turnTlsCert?: string;
  turnTlsKey?: string;
  turnRelayAddress?: string;
  turnRelayPorts?: { min: number; max: number };
  allowLoopbackPeers?: boolean;
};

async function turnOptions(flags: TurnFlags): Promise<TurnOptions> {
  let tls: TurnOptions['tls'];
  if (flags.turnTlsPort !== undefined) {
    if (!flags.turnTlsCert || !flags.turnTlsKey)
      throw new Error('--turn-tls-port needs --turn-tls-cert and --turn-tls-key');
    tls = {
      port: flags.turnTlsPort,
      cert: await readFile(flags.turnTlsCert, 'utf8'),
      key: await readFile(flags.turnTlsKey, 'utf8'),
    };
  }
  return {
    ...defaultTurnOptions,
    host: flags.host,
    port: flags.turnPort,
    secret: flags.turnSecret,
    users: flags.turnUser ?? new Map(),
    tls,
    relayAddress: flags.turnRelayAddress,
    relayPortRange: flags.turnRelayPorts,
    allowLoopbackPeers: flags.allowLoopbackPeers === true,
  };
}

/** Every flag can also be set by its DYAD_* environment variable. */
function option(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(env);
}

export function serveCommand(): Command {
  const defaults = defaultServerOptions;
  return new Command('serve')
    .description('run the signaling server with the web app (HTTP and WebSocket on one port)')
    .addOption(option('--host <address>', 'address to listen on', 'DYAD_HOST').default(defaults.host))
    .addOption(
      option('--port <port>', 'HTTP and WebSocket port', 'DYAD_PORT')
        .default(defaults.port)
        .argParser(integer('port')),
    )
    .addOption(option('--web-root <dir>', 'built web app to serve', 'DYAD_WEB_ROOT'))
    .addOption(
      option('--no-web-build', 'do not build the web app when it is missing or stale', 'DYAD_NO_WEB_BUILD'),
    )
    .addOption(
      option(
        '--room-secret <secret>',
        'require join tokens minted with this secret (`dyad token`)',
        'DYAD_ROOM_SECRET',
      ),
    )
    .addOption(
      option(
        '--ice-server-uri <uri>',
        'stun: or turn: URI answered to getIceServerConfig',
        'DYAD_ICE_SERVER_URI',
      ),
    )
    .addOption(option('--public-host <name>', 'host name put in ICE server URIs', 'DYAD_PUBLIC_HOST'))
    .addOption(
      option(
        '--max-messages-per-second <n>',
        'sustained messages per second per socket',
        'DYAD_MAX_MESSAGES_PER_SECOND',
      )
        .default(defaults.messagesPerSecond)
        .argParser(integer('max-messages-per-second')),
    )
    .addOption(
      option('--message-burst <n>', 'messages a socket may send at once', 'DYAD_MESSAGE_BURST')
        .default(defaults.messageBurst)
        .argParser(integer('message-burst')),
    )
    .addOption(
      option('--idle-timeout-ms <ms>', 'close sockets silent this long', 'DYAD_IDLE_TIMEOUT_MS')
        .default(defaults.idleTimeoutMs)
        .argParser(integer('idle-timeout-ms')),
    )
    .addOption(
      option('--turn-port <port>', 'STUN/TURN port, UDP and TCP (0: any free port)', 'DYAD_TURN_PORT')
        .default(defaultTurnOptions.port)
        .argParser(integer('turn-port')),
    )
    .addOption(option('--no-turn', 'do not run the STUN/TURN server', 'DYAD_NO_TURN'))
    .addOption(
      option(
        '--turn-secret <secret>',
        'TURN REST API shared secret (same on every process)',
        'DYAD_TURN_SECRET',
      ),
    )
    .addOption(
      option(
        '--turn-user <user:password>',
        'fixed long-term TURN credentials (repeatable)',
        'DYAD_TURN_USER',
      ).argParser(collectTurnUsers),
    )
    .addOption(
      option('--turn-tls-port <port>', 'turns: (TLS) port', 'DYAD_TURN_TLS_PORT').argParser(
        integer('turn-tls-port'),
      ),
    )
    .addOption(option('--turn-tls-cert <file>', 'PEM certificate for turns:', 'DYAD_TURN_TLS_CERT'))
    .addOption(option('--turn-tls-key <file>', 'PEM private key for turns:', 'DYAD_TURN_TLS_KEY'))
    .addOption(
      option(
        '--turn-relay-address <ip>',
        "this host's address that relays bind and advertise",
        'DYAD_TURN_RELAY_ADDRESS',
      ),
    )
    .addOption(
      option('--turn-relay-ports <min-max>', 'UDP port range for relays', 'DYAD_TURN_RELAY_PORTS').argParser(
        portRange,
      ),
    )
    .addOption(
      option(
        '--allow-loopback-peers',
        'let TURN relay to loopback (tests on one machine; never in production)',
        'DYAD_ALLOW_LOOPBACK_PEERS',
      ),
    )
    .addOption(
      option(
        '--redis <url>',
        'share rooms with other processes through Redis (redis://host:port)',
        'DYAD_REDIS_URL',
      ),
    )
    .addOption(
      option(
        '--log-level <level>',
        'fatal, error, warn, info, debug, trace or silent',
        'DYAD_LOG_LEVEL',
      ).default(defaults.logLevel),
    )
    .action(async (flags) => {
      const logger = pino({ level: flags.logLevel, base: { service: 'dyad' } });
      let webRoot: string = flags.webRoot ?? join(defaultWebDir, 'dist');
      if (!flags.webRoot && flags.webBuild !== false)
        await buildWebAppIfStale(defaultWebDir, webRoot, logger);
      webRoot = resolve(webRoot);
      const server = await startServer({
        host: flags.host,
        port: flags.port,
        webRoot,
        roomTokenSecret: flags.roomSecret,
        iceServerUri: flags.iceServerUri ?? '',
        publicHost: flags.publicHost,
        messagesPerSecond: flags.maxMessagesPerSecond,
        messageBurst: flags.messageBurst,
        idleTimeoutMs: flags.idleTimeoutMs,
        redisUrl: flags.redis,
        turn: flags.turn === false ? undefined : await turnOptions(flags),
        logger,
      });
      const turnPort = server.turn ? `, STUN/TURN: ${server.turn.udp.port} UDP+TCP` : '';
      console.log(`Dyad is running: ${server.url}  (signaling: ${server.wsUrl()}${turnPort})`);
      stopOnSignals(server.close, logger);
    });
}

/** SIGTERM/SIGINT: server_will_stop to every peer, close 1001, exit within 5 s whatever happens. */
function stopOnSignals(close: () => Promise<void>, logger: Logger): void {
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 5_000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
