import type { Logger } from 'pino';
import type { RoomBackend } from '../signaling/index.ts';
import type { TurnOptions } from './turn-service.ts';

export type ServerOptions = {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Folder of the built web app (web/dist); undefined serves no app. */
  webRoot: string | undefined;
  /** When set, `join` needs a room token minted with this secret (`dyad token`). */
  roomTokenSecret: string | undefined;
  /** The STUN/TURN server run beside signaling (`dyad serve` turns it on); off when undefined. */
  turn: TurnOptions | undefined;
  /** Answered to getIceServerConfig instead of our TURN server, e.g. an external one ('' = none). */
  iceServerUri: string;
  /** Host name put in TURN/STUN URIs; by default the one the client used to reach this server. */
  publicHost: string | undefined;
  /** Frames larger than this close the socket with 1009. */
  maxFrameBytes: number;
  /** Token bucket per connection: sustained messages per second and burst. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Sockets that send nothing for this long are closed (the SDK pings every 3 s). */
  idleTimeoutMs: number;
  /** WebSocket upgrades beyond this many open sockets from one client address are answered 429. */
  maxSocketsPerAddress: number;
  /** The client address comes from X-Forwarded-For (a reverse proxy in front); off: the TCP peer's. */
  trustProxy: boolean;
  /** A peer that does not read its socket is dropped once this much is queued for it. */
  maxQueuedBytes: number;
  /** Time allowed for a graceful shutdown before remaining sockets are cut. */
  shutdownGraceMs: number;
  logLevel: string;
  logger: Logger | undefined;
  /** Shares rooms with other processes through this Redis server (redis://…); in memory without it. */
  redisUrl: string | undefined;
  /** A room backend supplied by the caller (tests); takes precedence over redisUrl. */
  backend: RoomBackend | undefined;
};

export const defaultServerOptions: ServerOptions = {
  host: '0.0.0.0',
  port: 8080,
  webRoot: undefined,
  roomTokenSecret: undefined,
  turn: undefined,
  iceServerUri: '',
  publicHost: undefined,
  maxFrameBytes: 64 * 1024,
  messagesPerSecond: 100,
  messageBurst: 300,
  idleTimeoutMs: 30_000,
  maxSocketsPerAddress: 100,
  trustProxy: false,
  maxQueuedBytes: 4 * 1024 * 1024,
  shutdownGraceMs: 3_000,
  logLevel: 'info',
  logger: undefined,
  redisUrl: undefined,
  backend: undefined,
};
