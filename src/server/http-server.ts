import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Ajv } from 'ajv';
import Fastify from 'fastify';
import { type Logger, pino } from 'pino';
import {
  type ClientCommand,
  clientMessageSchemas,
  type IceServerConfigMessage,
  InMemoryRoomBackend,
  jsonDepthWithin,
  type PeerSession,
  SignalingService,
} from '../signaling/index.ts';
import { type Clock, systemClock } from '../util/index.ts';
import { ServerMetrics } from './metrics.ts';
import { defaultServerOptions, type ServerOptions } from './options.ts';
import { RedisRoomBackend } from './redis-room-backend.ts';
import { SignalingSockets } from './signaling-socket.ts';
import { startTurnService, type TurnService } from './turn-service.ts';

export type RunningServer = {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/<app>/websocket */
  wsUrl(app?: string): string;
  readonly metrics: ServerMetrics;
  /** The STUN/TURN server, when on. */
  readonly turn: TurnService['server'] | undefined;
  /** Graceful: server_will_stop to every peer, close 1001, then the HTTP server. */
  close(): Promise<void>;
};

function compileValidators(logger: Logger): (command: ClientCommand, message: object) => boolean {
  // unicode: false measures maxLength in UTF-16 units (String.length) instead of walking every SDP. Ajv
  // calls that option deprecated on stderr; its notices go to the log instead.
  const ajv = new Ajv({
    allErrors: false,
    strict: true,
    unicode: false,
    logger: {
      log: (message: unknown) => logger.debug({ ajv: String(message) }),
      warn: (message: unknown) => logger.debug({ ajv: String(message) }),
      error: (message: unknown) => logger.error({ ajv: String(message) }),
    },
  });
  ajv.addKeyword({
    keyword: 'maxDepth',
    type: ['object', 'array'],
    schemaType: 'number',
    validate: (maxDepth: number, data: unknown) => jsonDepthWithin(data, maxDepth),
  });
  const validators = new Map(
    Object.entries(clientMessageSchemas).map(([command, schema]) => [command, ajv.compile(schema)]),
  );
  return (command, message) => validators.get(command)?.(message) === true;
}

/** Starts the HTTP server: signaling WebSocket, the web app, /healthz and /metrics. */
export async function startServer(
  overrides: Partial<ServerOptions> = {},
  clock: Clock = systemClock,
): Promise<RunningServer> {
  const options: ServerOptions = { ...defaultServerOptions, ...overrides };
  const logger = options.logger ?? pino({ level: options.logLevel, base: { service: 'dyad' } });
  const backend =
    options.backend ??
    (options.redisUrl
      ? await RedisRoomBackend.connect({
          url: options.redisUrl,
          logger: logger.child({ component: 'redis' }),
        })
      : new InMemoryRoomBackend());
  const metrics = new ServerMetrics(backend);
  const turn = options.turn
    ? await startTurnService(options.turn, metrics.registry, logger, clock)
    : undefined;
  const iceServerConfig = (session: PeerSession, room: string | undefined): IceServerConfigMessage =>
    turn && !options.iceServerUri
      ? turn.iceServerConfig(session, room, options.publicHost)
      : {
          command: 'iceServerConfig',
          stunServerUri: options.iceServerUri,
          turnServerUsername: '',
          turnServerCredential: '',
        };
  const service = new SignalingService({
    backend,
    iceServerConfig,
    validate: compileValidators(logger),
    roomTokenSecret: options.roomTokenSecret,
    observer: metrics,
    sessionClosed: turn ? (session) => turn.sessionClosed(session) : undefined,
  });
  const sockets = new SignalingSockets(service, options, metrics, logger, clock);

  // Request logs stay below info: a signaling server's access log would be mostly WebSocket upgrades.
  const app = Fastify({ loggerInstance: logger.child({ component: 'http' }, { level: 'warn' }) });
  app.get('/healthz', async () => ({ status: 'ok', peers: sockets.size }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const webRoot = options.webRoot;
  if (webRoot && existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, wildcard: false });
    // The app routes (/call/<room>, /send, /receive/<room>) are client-side: serve index.html for them.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && !request.url.startsWith('/metrics'))
        return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'not found' });
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send('The web app is not built: run `npm run build:web` (npm start builds it when needed).\n'),
    );
  }

  app.server.on('upgrade', (request, socket, head) => {
    if (!sockets.handleUpgrade(request, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const reachableHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : urlHost;
  logger.info(
    { host: options.host, port, tokens: options.roomTokenSecret !== undefined },
    'dyad server listening',
  );

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url: `http://${reachableHost}:${port}`,
    wsUrl: (appName = 'WebRTCAppEE') => `ws://${reachableHost}:${port}/${appName}/websocket`,
    metrics,
    turn: turn?.server,
    close() {
      closing ??= (async () => {
        await sockets.shutdown(options.shutdownGraceMs);
        await app.close();
        await turn?.close();
        if (!options.backend) await backend.close();
        logger.info('dyad server stopped');
      })();
      return closing;
    },
  };
}
