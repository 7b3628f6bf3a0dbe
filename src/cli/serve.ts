import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { defaultServerOptions, defaultTurnOptions, startServer, type TurnOptions } from '../server/index.ts';
import { parseIpRange } from '../turn/index.ts';
import { explainListenError, UserError } from './errors.ts';
import { buildWebAppIfStale } from './web-build.ts';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const defaultWebDir = join(packageRoot, 'web');

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new InvalidArgumentError(`--${name} takes a whole number, got "${value}".`);
    return parsed;
  };
}

function collectTurnUsers(value: string, previous: Map<string, string> | undefined): Map<string, string> {
  const separator = value.indexOf(':');
  if (separator <= 0) throw new InvalidArgumentError(`--turn-user takes user:password, got "${value}".`);
  return new Map(previous).set(value.slice(0, separator), value.slice(separator + 1));
}

function portRange(value: string): { min: number; max: number } {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const [min, max] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || min < 1 || max > 65_535 || min > max)
    throw new InvalidArgumentError(`--turn-relay-ports takes min-max, got "${value}".`);
  return { min, max };
}

/** --turn-deny and --turn-allow: repeatable; each value (or the variable) may list ranges split by commas. */
function collectRanges(flag: string) {
  return (value: string, previous: string[] | undefined): string[] => {
    const ranges = value.split(/[\s,]+/).filter((range) => range !== '');
    for (const range of ranges) {
      try {
        parseIpRange(range);
      } catch {
        throw new InvalidArgumentError(
          `${flag} takes an address or CIDR range like 203.0.113.0/24, got "${range}".`,
        );
      }
    }
    return [...(previous ?? []), ...ranges];
  };
}

/** Seconds, or "never". */
function secondsOrNever(value: string): number | undefined {
  if (value === 'never') return undefined;
  return integer('turn-revoke-after-leave')(value);
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
  turnDeny?: string[];
  turnAllow?: string[];
  turnAllocationsPerAddress: number;
  turnRevokeAfterLeave: number | undefined;
};

async function turnOptions(flags: TurnFlags): Promise<TurnOptions> {
  let tls: TurnOptions['tls'];
  if (flags.turnTlsPort !== undefined) {
    if (!flags.turnTlsCert || !flags.turnTlsKey)
      throw new UserError('--turn-tls-port needs --turn-tls-cert and --turn-tls-key.');
    tls = {
      port: flags.turnTlsPort,
      cert: await readPem(flags.turnTlsCert, '--turn-tls-cert'),
      key: await readPem(flags.turnTlsKey, '--turn-tls-key'),
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
    deniedPeerRanges: flags.turnDeny ?? [],
    allowedPeerRanges: flags.turnAllow ?? [],
    allocationsPerAddress: flags.turnAllocationsPerAddress,
    revokeAfterLeaveSeconds: flags.turnRevokeAfterLeave,
  };
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'it cannot be read';
    throw new UserError(`${flag} names ${path}, but ${reason}.`);
  }
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
        '--turn-deny <cidr>',
        'refuse to relay to this range, ahead of the defaults (repeatable; commas in the variable)',
        'DYAD_TURN_DENY',
      ).argParser(collectRanges('--turn-deny')),
    )
    .addOption(
      option(
        '--turn-allow <cidr>',
        'allow relaying to this range although denied, e.g. your LAN (repeatable; wins over --turn-deny)',
        'DYAD_TURN_ALLOW',
      ).argParser(collectRanges('--turn-allow')),
    )
    .addOption(
      option(
        '--turn-allocations-per-address <n>',
        'TURN allocations one client IP address may hold at once',
        'DYAD_TURN_ALLOCATIONS_PER_ADDRESS',
      )
        .default(defaultTurnOptions.allocationsPerAddress)
        .argParser(integer('turn-allocations-per-address')),
    )
    .addOption(
      option(
        '--turn-revoke-after-leave <seconds>',
        'revoke the TURN credentials of a peer this long after its signaling socket closed ("never": at expiry)',
        'DYAD_TURN_REVOKE_AFTER_LEAVE',
      )
        .default(defaultTurnOptions.revokeAfterLeaveSeconds)
        .argParser(secondsOrNever),
    )
    .addOption(
      option(
        '--max-sockets-per-address <n>',
        'signaling sockets one client address may hold open',
        'DYAD_MAX_SOCKETS_PER_ADDRESS',
      )
        .default(defaults.maxSocketsPerAddress)
        .argParser(integer('max-sockets-per-address')),
    )
    .addOption(
      option(
        '--trust-proxy',
        'take the client address from X-Forwarded-For (only behind your own reverse proxy)',
        'DYAD_TRUST_PROXY',
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
    .allowExcessArguments(false)
    .action(async (flags) => {
      const logger = createLogger(flags.logLevel);
      let webRoot: string = flags.webRoot ?? join(defaultWebDir, 'dist');
      if (!flags.webRoot && flags.webBuild !== false)
        await buildWebAppIfStale(defaultWebDir, webRoot, logger);
      webRoot = resolve(webRoot);
      const server = await startServer({
        host: flags.host,
        maxSocketsPerAddress: flags.maxSocketsPerAddress,
        trustProxy: flags.trustProxy === true,
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
      }).catch((error: unknown) => {
        throw explainListenError(error, flags);
      });
      const turnPort = server.turn ? `, STUN/TURN: ${server.turn.udp.port} UDP+TCP` : '';
      console.log(`Dyad is running: ${server.url}  (signaling: ${server.wsUrl()}${turnPort})`);
      stopOnSignals(server.close, logger);
    });
}

/**
 * JSON lines for log collectors; in a terminal, what a person reads (pino-pretty), since nobody reads raw
 * JSON on a screen.
 */
function createLogger(level: string): Logger {
  const options = { level, base: { service: 'dyad' } };
  if (!process.stdout.isTTY) return pino(options);
  return pino(
    options,
    pretty({
      colorize: true,
      singleLine: true,
      ignore: 'pid,hostname,service',
      translateTime: 'SYS:HH:MM:ss',
    }),
  );
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
