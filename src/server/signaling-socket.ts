import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  type DeliverMessage,
  type PeerSession,
  SignalingError,
  SignalingNotification,
  type SignalingService,
} from '../signaling/index.ts';
import type { Clock, TimerHandle } from '../util/index.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ServerOptions } from './options.ts';

/** `/<app>/websocket`, any app name as Ant Media writes them; the query string is ignored [SDK]. */
const signalingPath = /^\/[A-Za-z0-9_.-]{1,64}\/websocket\/?$/;
const idleSweepIntervalMs = 5_000;
/** A peer that keeps flooding after being told is cut off. */
const maxDroppedBeforeClose = 1_000;

/** ws sends a Buffer as a binary frame unless told otherwise; relayed JSON text stays a text frame. */
const textFrame = { binary: false } as const;

export const WebSocketCloseCode = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/** What a frame that could not be handled is counted as in /metrics. */
export type SignalingInputErrorKind = 'invalid_json' | 'handler';

type Connection = {
  readonly socket: WebSocket;
  readonly session: PeerSession;
  tokens: number;
  refilledAt: number;
  lastActivityAt: number;
  dropped: number;
};

/**
 * The WebSocket side of the signaling server: size, rate and idle limits per socket, JSON decoding, and
 * delivery back to the socket. Protocol rules live in the SignalingService.
 */
export class SignalingSockets {
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  /** Open sockets (and upgrades under way) per client address, for maxSocketsPerAddress. */
  readonly #socketsPerAddress = new Map<string, number>();
  /** Leaves still being carried out for closed sockets; shutdown waits for them. */
  readonly #pendingLeaves = new Set<Promise<void>>();
  readonly #service: SignalingService;
  readonly #options: ServerOptions;
  readonly #metrics: ServerMetrics;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #sweepTimer: TimerHandle | undefined;

  constructor(
    service: SignalingService,
    options: ServerOptions,
    metrics: ServerMetrics,
    logger: Logger,
    clock: Clock,
  ) {
    this.#service = service;
    this.#options = options;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#clock = clock;
    this.#wss = new WebSocketServer({
      noServer: true,
      // ws closes the socket with 1009 when a frame is larger than this.
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#scheduleSweep();
  }

  get size(): number {
    return this.#connections.size;
  }

  /**
   * Handles an HTTP upgrade; returns false when the path is not a signaling endpoint. A client address
   * over its socket limit is answered 429 before any WebSocket exists.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (request.url ?? '').split('?', 1)[0] ?? '';
    if (!signalingPath.test(path)) return false;
    const address = clientAddressOf(request, this.#options.trustProxy);
    const open = this.#socketsPerAddress.get(address) ?? 0;
    if (open >= this.#options.maxSocketsPerAddress) {
      this.#metrics.socketRefused('address_limit');
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    // Counted from the upgrade request on, so that a burst of parallel upgrades cannot pass the limit;
    // the raw socket closes whether the upgrade fails or the WebSocket closes later.
    this.#socketsPerAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.#socketsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#socketsPerAddress.set(address, left);
      else this.#socketsPerAddress.delete(address);
    });
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, hostOf(request)));
    return true;
  }

  #accept(socket: WebSocket, host: string): void {
    const maxQueuedBytes = this.#options.maxQueuedBytes;
    const deliver: DeliverMessage = (message, text) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // A peer that does not read must not make the server buffer without bound.
      if (socket.bufferedAmount > maxQueuedBytes) {
        socket.close(WebSocketCloseCode.policyViolation, 'not reading');
        return;
      }
      if (text) socket.send(text, textFrame);
      else socket.send(JSON.stringify(message));
    };
    const now = this.#clock.now();
    const connection: Connection = {
      socket,
      session: this.#service.open(deliver, host),
      tokens: this.#options.messageBurst,
      refilledAt: now,
      lastActivityAt: now,
      dropped: 0,
    };
    this.#connections.add(connection);
    this.#metrics.peersConnected.inc();
    socket.on('message', (data, isBinary) => {
      // The boundary of one input: whatever its handling throws costs this socket, never the process.
      try {
        this.#onMessage(connection, data, isBinary);
      } catch (error) {
        this.#handlerFailed(connection, error);
      }
    });
    socket.on('error', (error) => this.#logger.debug({ err: error.message }, 'signaling socket error'));
    socket.once('close', () => {
      this.#connections.delete(connection);
      this.#metrics.peersConnected.dec();
      const leaving = this.#service
        .close(connection.session)
        .finally(() => this.#pendingLeaves.delete(leaving));
      this.#pendingLeaves.add(leaving);
    });
  }

  #onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    const now = this.#clock.now();
    connection.lastActivityAt = now;
    if (!this.#takeToken(connection, now)) return;
    // The protocol is JSON in text frames; anything else is ignored, as AMS does [AMS].
    if (isBinary) return;
    // ws hands text frames over as one Buffer (nodebuffer, the default binaryType), UTF-8 already checked.
    const source = data as Buffer;
    let frame: unknown;
    try {
      frame = JSON.parse(source.toString());
    } catch {
      this.#metrics.inputError('invalid_json');
      return;
    }
    this.#service.receive(connection.session, frame, now, source);
  }

  /** A frame's handling threw: a bug, never the peer's right. Logged without the frame, and counted. */
  #handlerFailed(connection: Connection, error: unknown): void {
    this.#metrics.inputError('handler');
    this.#logger.warn(
      { peer: connection.session.peerId, err: describeError(error) },
      'signaling frame handler failed; its socket is closed',
    );
    connection.socket.close(WebSocketCloseCode.internalError, 'internal error');
  }

  /** Token bucket: `messagesPerSecond` sustained, `messageBurst` at once. */
  #takeToken(connection: Connection, now: number): boolean {
    const { messagesPerSecond, messageBurst } = this.#options;
    connection.tokens = Math.min(
      messageBurst,
      connection.tokens + ((now - connection.refilledAt) / 1000) * messagesPerSecond,
    );
    connection.refilledAt = now;
    if (connection.tokens >= 1) {
      connection.tokens -= 1;
      return true;
    }
    connection.dropped += 1;
    if (connection.dropped === 1 || connection.dropped % 100 === 0) {
      this.#metrics.error(SignalingError.rateLimited);
      connection.session.deliver({ command: 'error', definition: SignalingError.rateLimited });
    }
    if (connection.dropped > maxDroppedBeforeClose) {
      connection.socket.close(WebSocketCloseCode.policyViolation, 'rate limit');
    }
    return false;
  }

  #scheduleSweep(): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      const deadline = this.#clock.now() - this.#options.idleTimeoutMs;
      for (const connection of this.#connections) {
        if (connection.lastActivityAt < deadline)
          connection.socket.close(WebSocketCloseCode.goingAway, 'idle');
      }
      this.#scheduleSweep();
    }, idleSweepIntervalMs);
  }

  /** Tells every peer the server is stopping, closes with 1001, and cuts what is still open after `graceMs`. */
  async shutdown(graceMs: number): Promise<void> {
    this.#clock.clearTimeout(this.#sweepTimer);
    const closed = [...this.#connections].map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          if (socket.readyState === WebSocket.OPEN) {
            socket.send(
              JSON.stringify({ command: 'notification', definition: SignalingNotification.serverWillStop }),
            );
          }
          socket.close(WebSocketCloseCode.goingAway, 'server stopping');
        }),
    );
    let graceTimer: TimerHandle | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = this.#clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(closed), grace]);
    this.#clock.clearTimeout(graceTimer);
    for (const { socket } of this.#connections) socket.terminate();
    await Promise.all(this.#pendingLeaves);
    this.#wss.close();
  }
}

/** An error's name and message, bounded: never the frame, which may hold SDP or a token. */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : typeof error;
}

/**
 * The client's address: the TCP peer, or, behind a reverse proxy the operator trusts (`trustProxy`), the
 * address that proxy appended last to X-Forwarded-For (the earlier entries are the client's own claims).
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: boolean): string {
  const peer = request.socket.remoteAddress ?? '';
  if (!trustProxy) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = Array.isArray(header) ? header.join(',') : header;
  const last = forwarded?.split(',').at(-1)?.trim();
  return last ? last : peer;
}

function hostOf(request: IncomingMessage): string {
  const host = request.headers.host ?? 'localhost';
  // "[::1]:8080" → "[::1]", "example.org:8080" → "example.org".
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? host);
}
