import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { type Logger, pino } from 'pino';
import { defaultServerOptions, startServer } from '../server/index.ts';
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
        logger,
      });
      console.log(`Dyad is running: ${server.url}  (signaling: ${server.wsUrl()})`);
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
