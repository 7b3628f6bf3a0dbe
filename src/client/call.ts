import {
  type ClientMessage,
  isValidStreamId,
  type JoinMessage,
  type ServerMessage,
  SignalingError,
} from '../signaling/index.ts';
import { type Clock, SystemClock, type TimerHandle } from '../util/index.ts';
import { defaultReconnectPolicy, type ReconnectPolicy, reconnectDelayMs } from './backoff.ts';
import {
  CallDataChannelEvent,
  CallErrorEvent,
  CallPeerMessageEvent,
  CallReconnectingEvent,
  CallStateEvent,
  CallTrackEvent,
  type DyadCallEventMap,
} from './events.ts';
import { encodeClientMessage, iceServersFromConfig, parseServerMessage } from './messages.ts';
import { Negotiator } from './negotiator.ts';

/**
 * Handler properties typed with method syntax, so that TypeScript compares their parameters bivariantly and
 * both the browser's WebSocket and npm `ws` fit without casts.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'] | null;

/** The part of the W3C WebSocket the SDK uses (browsers' global one, or npm `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<unknown>;
  onerror: Handler<unknown>;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;
export type PeerConnectionConstructor = new (configuration?: RTCConfiguration) => RTCPeerConnection;

const webSocketOpen = 1;
/** A Node process running the SDK must stay alive while it waits out a reconnect backoff. */
const clientClock: Clock = new SystemClock({ keepProcessAlive: true });

function ignoreSocketError(): void {}

export type CallState = 'idle' | 'connecting' | 'joined' | 'reconnecting' | 'closed';

export type JoinOptions = {
  /** WebSocket implementation; default globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** RTCPeerConnection implementation; default globalThis.RTCPeerConnection. */
  RTCPeerConnection?: PeerConnectionConstructor;
  /** ICE servers. When absent the server's `iceServerConfig` is requested and used. */
  iceServers?: RTCIceServer[];
  /** Further RTCConfiguration members (iceTransportPolicy, bundlePolicy, certificates...). */
  peerConnectionConfig?: Omit<RTCConfiguration, 'iceServers'>;
  /** Tracks sent to the peer; re-added to every new peer connection. */
  localStream?: MediaStream;
  /** Called on every new peer connection, before negotiation, to create data channels. */
  createDataChannels?: (pc: RTCPeerConnection, session: { offerer: boolean }) => void;
  /** `both` (default) sends and receives; `play` receives only [SDK]. */
  mode?: 'both' | 'play';
  /** Room token, when the server requires one. */
  token?: string;
  /** Reconnection after a dropped WebSocket; `false` disables it. */
  reconnect?: Partial<ReconnectPolicy> | false;
  /** Keepalive period; Ant Media's SDK pings every 3 s [SDK]. */
  pingIntervalMs?: number;
  /** A socket that received nothing (not even a pong) for this long is treated as dropped. */
  silenceTimeoutMs?: number;
  /** ICE `disconnected` for this long restarts ICE (the polite peer waits twice as long); default 4 s. */
  iceRestartAfterDisconnectedMs?: number;
  clock?: Clock;
  /** Random numbers in [0, 1) for the reconnection jitter; default Math.random. */
  random?: () => number;
};

/** Errors that end a call that was never joined: retrying cannot fix them. */
const fatalJoinErrors = new Set<string>([
  SignalingError.roomFull,
  SignalingError.unauthorized,
  SignalingError.invalidStreamName,
  SignalingError.noStreamNameSpecified,
]);

type LocalTrack = { track: MediaStreamTrack; streams: MediaStream[] };

/**
 * One participant of a peer-to-peer call in a room of an Ant Media compatible signaling server.
 * Create it with `joinRoom`, listen to its events (DyadCallEventMap), and `leave()` when done.
 */
export class DyadCall extends EventTarget {
  readonly url: string;
  readonly room: string;
  readonly #options: JoinOptions;
  readonly #clock: Clock;
  readonly #policy: ReconnectPolicy | undefined;
  readonly #localTracks: LocalTrack[] = [];
  #state: CallState = 'idle';
  #socket: WebSocketLike | undefined;
  #negotiator: Negotiator | undefined;
  /** After a (re-)join the old session may still carry media, but the next start/offer replaces it. */
  #sessionStale = false;
  #iceServers: RTCIceServer[] | undefined;
  #pingTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #lastReceivedAt = 0;
  #attempt = 0;
  #everJoined = false;
  #joinWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(url: string, room: string, options: JoinOptions = {}) {
    super();
    if (!isValidStreamId(room)) throw new RangeError(`invalid room name ${JSON.stringify(room)}`);
    this.url = url;
    this.room = room;
    this.#options = options;
    this.#clock = options.clock ?? clientClock;
    this.#policy =
      options.reconnect === false ? undefined : { ...defaultReconnectPolicy, ...options.reconnect };
    this.#iceServers = options.iceServers;
    for (const track of options.localStream?.getTracks() ?? []) {
      this.#localTracks.push({ track, streams: [options.localStream as MediaStream] });
    }
  }

  get state(): CallState {
    return this.#state;
  }

  /** The current peer connection, while a peer is in the call. */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#negotiator?.pc;
  }

  /** True when this side yields in glare (it did not receive `start`). */
  get polite(): boolean | undefined {
    return this.#negotiator?.polite;
  }

  /** Connects and joins; settles when the server confirms (`joined`) or refuses the join. */
  join(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new Error(`join() called in state ${this.#state}`));
    const joined = new Promise<void>((resolve, reject) => {
      this.#joinWaiter = { resolve, reject };
    });
    this.#connect();
    return joined;
  }

  /** Leaves the room for good: tells the server, closes the peer connection and the socket. */
  leave(): void {
    if (this.#state === 'closed') return;
    this.#send({ command: 'leave', streamId: this.room });
    this.#close(new Error('left the room'));
  }

  /** Sends a track to the peer (now, and in every later session); renegotiates if a call is up. */
  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender | undefined {
    this.#localTracks.push({ track, streams });
    return this.#negotiator?.pc.addTrack(track, ...streams);
  }

  /** Stops sending a track; renegotiates if a call is up. */
  removeTrack(track: MediaStreamTrack): void {
    const index = this.#localTracks.findIndex((local) => local.track === track);
    if (index >= 0) this.#localTracks.splice(index, 1);
    const sender = this.#negotiator?.pc.getSenders().find((candidate) => candidate.track === track);
    if (sender) this.#negotiator?.pc.removeTrack(sender);
  }

  /** Replaces a sent track without renegotiation (RTCRtpSender.replaceTrack). */
  async replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack): Promise<void> {
    const local = this.#localTracks.find((candidate) => candidate.track === oldTrack);
    if (local) local.track = newTrack;
    const sender = this.#negotiator?.pc.getSenders().find((candidate) => candidate.track === oldTrack);
    await sender?.replaceTrack(newTrack);
  }

  /** Sends an application message to the peer through the server (`peerMessageCommand`). */
  sendPeerMessage(definition: string, data?: unknown): void {
    this.#send({ command: 'peerMessageCommand', streamId: this.room, definition, data });
  }

  override addEventListener<K extends keyof DyadCallEventMap>(
    type: K,
    listener: ((event: DyadCallEventMap[K]) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  override removeEventListener<K extends keyof DyadCallEventMap>(
    type: K,
    listener: ((event: DyadCallEventMap[K]) => void) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  // --- WebSocket lifecycle -------------------------------------------------------------------------------

  #connect(): void {
    this.#state = this.#everJoined ? 'reconnecting' : 'connecting';
    const WebSocketImpl =
      this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) {
      this.#fail('websocket_failed', new Error('no WebSocket implementation: pass options.WebSocket'));
      return;
    }
    let socket: WebSocketLike;
    try {
      socket = new WebSocketImpl(this.url);
    } catch (error) {
      this.#fail('websocket_failed', error);
      return;
    }
    this.#socket = socket;
    socket.onopen = () => this.#onOpen();
    socket.onmessage = (event) => this.#onFrame(event.data);
    socket.onclose = () => this.#onSocketLost();
    // A failed socket is always followed by close, which decides what happens next.
    socket.onerror = ignoreSocketError;
    // A connection attempt that neither opens nor fails (a black-holed address) is given up on.
    this.#pingTimer = this.#clock.setTimeout(() => this.#onSocketLost(), this.#silenceLimitMs);
  }

  get #silenceLimitMs(): number {
    return this.#options.silenceTimeoutMs ?? 10_000;
  }

  #onOpen(): void {
    this.#clock.clearTimeout(this.#pingTimer);
    this.#lastReceivedAt = this.#clock.now();
    // Requested before the join, so that the answer (per-socket FIFO) precedes any `start`.
    if (!this.#options.iceServers) this.#send({ command: 'getIceServerConfig' });
    const join: JoinMessage = {
      command: 'join',
      streamId: this.room,
      mode: this.#options.mode ?? 'both',
      multiPeer: false,
    };
    if (this.#options.token !== undefined) join.token = this.#options.token;
    this.#send(join);
    this.#schedulePing();
  }

  #schedulePing(): void {
    const interval = this.#options.pingIntervalMs ?? 3000;
    const due = this.#clock.now() + interval;
    this.#pingTimer = this.#clock.setTimeout(() => {
      // A timer that fires far too late means this page or process was suspended (sleep, a frozen tab):
      // that silence is ours, not the server's, and its answers may still be waiting unread.
      const suspendedMs = this.#clock.now() - due;
      if (suspendedMs > interval) this.#lastReceivedAt += suspendedMs;
      if (this.#clock.now() - this.#lastReceivedAt >= this.#silenceLimitMs) {
        // Half-open TCP never reports close by itself; the missing pongs do.
        this.#onSocketLost();
        return;
      }
      this.#send({ command: 'ping' });
      this.#schedulePing();
    }, interval);
  }

  /** The socket closed or went silent: reconnect with backoff, unless the call is over. */
  #onSocketLost(): void {
    this.#detachSocket();
    if (this.#state === 'closed') return;
    if (!this.#everJoined || !this.#policy) {
      this.#fail('websocket_failed', new Error('signaling connection lost'));
      return;
    }
    this.#state = 'reconnecting';
    const attempt = this.#attempt++;
    const delayMs = reconnectDelayMs(attempt, this.#policy, (this.#options.random ?? Math.random)());
    this.dispatchEvent(new CallReconnectingEvent(attempt, delayMs));
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'reconnecting') this.#connect();
    }, delayMs);
  }

  #detachSocket(): void {
    this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    // Keep an error handler: npm `ws` throws an error event nobody listens to (closing while connecting).
    socket.onerror = ignoreSocketError;
    try {
      socket.close();
    } catch {
      // Already closed or never opened: nothing left to release.
    }
  }

  #send(message: ClientMessage): void {
    const socket = this.#socket;
    // While disconnected, signaling is dropped: the session is rebuilt after the re-join.
    if (!socket || socket.readyState !== webSocketOpen) return;
    const frame = encodeClientMessage(message);
    if (frame === undefined) {
      // Sending it would make the server close the socket (1009).
      this.dispatchEvent(new CallErrorEvent('message_too_large'));
      return;
    }
    try {
      socket.send(frame);
    } catch (error) {
      this.dispatchEvent(new CallErrorEvent('websocket_failed', error));
    }
  }

  // --- Protocol ------------------------------------------------------------------------------------------

  #onFrame(frame: unknown): void {
    this.#lastReceivedAt = this.#clock.now();
    const message = parseServerMessage(frame);
    if (!message) return;
    // Room-scoped messages for another stream id are not ours (a confused or hostile relay).
    if ('streamId' in message && message.streamId !== undefined && message.streamId !== this.room) return;
    this.#handle(message);
  }

  #handle(message: ServerMessage): void {
    switch (message.command) {
      case 'notification':
        if (message.definition === 'joined') this.#onJoined();
        // The server is going away: reconnect now rather than wait for its close.
        else if (message.definition === 'server_will_stop') this.#onSocketLost();
        return;
      case 'iceServerConfig':
        if (!this.#options.iceServers) this.#iceServers = iceServersFromConfig(message);
        return;
      case 'start':
        this.#startSession(true);
        return;
      case 'takeConfiguration':
        if (message.type === 'offer' && (!this.#negotiator || this.#sessionStale)) this.#startSession(false);
        this.#negotiator?.receiveDescription(message.type, message.sdp);
        return;
      case 'takeCandidate':
        this.#negotiator?.receiveCandidate(message.label, message.id ?? null, message.candidate);
        return;
      case 'stop':
        this.#endSession();
        return;
      case 'peerMessageCommand':
        this.dispatchEvent(new CallPeerMessageEvent(message.definition, message.data));
        return;
      case 'error':
        this.#onServerError(message.definition);
        return;
      default:
        return;
    }
  }

  #onJoined(): void {
    if (this.#state === 'joined') return;
    this.#state = 'joined';
    this.#everJoined = true;
    this.#attempt = 0;
    // A session from before this join cannot be renegotiated: the server sees a fresh pair now.
    this.#sessionStale = this.#negotiator !== undefined;
    this.#joinWaiter?.resolve();
    this.#joinWaiter = undefined;
    this.dispatchEvent(new Event('joined'));
  }

  #onServerError(definition: string): void {
    this.dispatchEvent(new CallErrorEvent(definition));
    if (this.#state === 'joined' || !fatalJoinErrors.has(definition)) return;
    // A re-join may find our old socket still counted by the server until it notices the close:
    // room_full then clears by itself, so try again later. Other refusals are final.
    if (this.#everJoined && definition === SignalingError.roomFull) {
      this.#onSocketLost();
      return;
    }
    this.#close(new Error(`join refused: ${definition}`));
  }

  #startSession(offerer: boolean): void {
    this.#endSession();
    const PeerConnectionImpl =
      this.#options.RTCPeerConnection ??
      (globalThis as { RTCPeerConnection?: PeerConnectionConstructor }).RTCPeerConnection;
    if (!PeerConnectionImpl) {
      this.#fail('peer_connection_failed', new Error('no RTCPeerConnection: pass options.RTCPeerConnection'));
      return;
    }
    let pc: RTCPeerConnection;
    try {
      pc = new PeerConnectionImpl({
        ...this.#options.peerConnectionConfig,
        iceServers: this.#iceServers ?? [],
      });
    } catch (error) {
      this.#fail('peer_connection_failed', error);
      return;
    }
    const negotiator = new Negotiator(
      pc,
      !offerer,
      {
        sendDescription: (description) =>
          this.#send({ command: 'takeConfiguration', streamId: this.room, ...description }),
        sendCandidate: ({ label, id, candidate }) =>
          this.#send({ command: 'takeCandidate', streamId: this.room, label, id, candidate }),
        reportError: (definition, cause) => this.dispatchEvent(new CallErrorEvent(definition, cause)),
      },
      {
        clock: this.#clock,
        iceRestartAfterDisconnectedMs: this.#options.iceRestartAfterDisconnectedMs ?? 4000,
      },
    );
    this.#negotiator = negotiator;
    this.#sessionStale = false;
    this.#forwardPeerConnectionEvents(negotiator);
    try {
      for (const { track, streams } of this.#localTracks) pc.addTrack(track, ...streams);
      this.#options.createDataChannels?.(pc, { offerer });
    } catch (error) {
      this.dispatchEvent(new CallErrorEvent('peer_connection_failed', error));
    }
    // After the local setup, so that a listener adding a track (call.addTrack) adds it once.
    this.dispatchEvent(new Event('peerjoined'));
    // The offerer offers even with nothing to send, when no negotiationneeded would fire.
    if (offerer) negotiator.negotiate();
  }

  #forwardPeerConnectionEvents(negotiator: Negotiator): void {
    const { pc } = negotiator;
    const current = () => this.#negotiator === negotiator;
    pc.addEventListener('track', (event) => {
      if (current()) this.dispatchEvent(new CallTrackEvent(event.track, event.streams, event.transceiver));
    });
    pc.addEventListener('datachannel', (event) => {
      if (current()) this.dispatchEvent(new CallDataChannelEvent(event.channel));
    });
    pc.addEventListener('connectionstatechange', () => {
      if (current()) this.dispatchEvent(new CallStateEvent('connectionstatechange', pc.connectionState));
    });
    pc.addEventListener('signalingstatechange', () => {
      if (current()) this.dispatchEvent(new CallStateEvent('signalingstatechange', pc.signalingState));
    });
  }

  #endSession(): void {
    const negotiator = this.#negotiator;
    if (!negotiator) return;
    this.#negotiator = undefined;
    negotiator.close();
    this.dispatchEvent(new Event('peerleft'));
  }

  #fail(definition: string, cause: unknown): void {
    this.dispatchEvent(new CallErrorEvent(definition, cause));
    this.#close(cause instanceof Error ? cause : new Error(definition));
  }

  #close(reason: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#detachSocket();
    this.#endSession();
    this.#joinWaiter?.reject(reason);
    this.#joinWaiter = undefined;
    this.dispatchEvent(new Event('closed'));
  }
}

/** Joins `room` on the signaling server at `url` (e.g. `ws://host:8080/WebRTCAppEE/websocket`). */
export async function joinRoom(url: string, room: string, options: JoinOptions = {}): Promise<DyadCall> {
  const call = new DyadCall(url, room, options);
  await call.join();
  return call;
}
