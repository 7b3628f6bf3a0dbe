/**
 * Test doubles for the client SDK's unit tests: a WebSocket the test drives by hand, a W3C-shaped
 * RTCPeerConnection with the JSEP signaling state machine (RFC 9429 §3.2) but fake SDP, and an in-memory
 * Ant Media P2P relay that delivers after a latency in virtual time.
 */
import type {
  PeerConnectionConstructor,
  WebSocketConstructor,
  WebSocketLike,
} from '../../src/client/index.ts';
import type { Clock, VirtualClock } from '../../src/util/index.ts';

type Handler = ((event: unknown) => void) | null;

export class FakeWebSocket implements WebSocketLike {
  readonly url: string;
  readyState = 0;
  onopen: Handler = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: Handler = null;
  onerror: Handler = null;
  readonly sent: string[] = [];
  /** Called for every frame sent by the client, for relays. */
  onSend: ((data: string) => void) | undefined;
  closedByClient = false;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
    this.onSend?.(data);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.closedByClient = true;
    this.readyState = 3;
    this.onclose?.({ code: 1000 });
  }

  // --- driven by the test (the "server" side) ---
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  deliver(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  drop(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }

  messages(): Array<Record<string, unknown>> {
    return this.sent.map((frame) => JSON.parse(frame) as Record<string, unknown>);
  }

  commands(): string[] {
    return this.messages().map((message) => String(message.command));
  }
}

/** A WebSocket constructor whose instances are collected in `sockets`. */
export function fakeWebSocketClass(onCreate?: (socket: FakeWebSocket) => void): {
  WebSocket: WebSocketConstructor;
  sockets: FakeWebSocket[];
} {
  const sockets: FakeWebSocket[] = [];
  class CollectedWebSocket extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      onCreate?.(this);
    }
  }
  return { WebSocket: CollectedWebSocket, sockets };
}

export type FakeTrack = { id: string; kind: 'audio' | 'video' };
type FakeSdp = { fake: true; tracks: string[]; channels: string[]; iceGeneration: number; version: number };

/**
 * Fake RTCPeerConnection. SDP is JSON listing the tracks and channels an offer carries; an answer carries
 * nothing new (as in JSEP, the answerer's new tracks need an offer of their own). There is no implicit
 * rollback, so a client that relies on it fails here. negotiationneeded fires when local state changed
 * since the last completed offer/answer exchange and the connection is stable.
 */
export class FakePeerConnection extends EventTarget {
  static instances: FakePeerConnection[] = [];
  readonly configuration: RTCConfiguration | undefined;
  signalingState: RTCSignalingState = 'stable';
  iceConnectionState: RTCIceConnectionState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  readonly senders: Array<{ track: FakeTrack | null }> = [];
  readonly channels: string[] = [];
  readonly addedCandidates: RTCIceCandidateInit[] = [];
  readonly log: string[] = [];
  remoteTracks: string[] = [];
  iceGeneration = 0;
  rollbacks = 0;
  closed = false;
  #localVersion = 0;
  #negotiatedVersion = 0;
  #offeredVersion = 0;
  #eventPending = false;
  #lastCreatedOffer: { sdp: string; version: number } | undefined;

  constructor(configuration?: RTCConfiguration) {
    super();
    this.configuration = configuration;
    FakePeerConnection.instances.push(this);
  }

  static asConstructor(): PeerConnectionConstructor {
    return FakePeerConnection as unknown as PeerConnectionConstructor;
  }

  addTrack(track: FakeTrack): { track: FakeTrack | null } {
    const sender = { track };
    this.senders.push(sender);
    this.#changed();
    return sender;
  }

  removeTrack(sender: { track: FakeTrack | null }): void {
    sender.track = null;
    this.#changed();
  }

  getSenders(): Array<{ track: FakeTrack | null; replaceTrack(track: FakeTrack): Promise<void> }> {
    return this.senders.map((sender) => ({
      get track() {
        return sender.track;
      },
      replaceTrack: async (track: FakeTrack) => {
        sender.track = track;
      },
    }));
  }

  createDataChannel(label: string): { label: string } {
    this.channels.push(label);
    this.#changed();
    return { label };
  }

  restartIce(): void {
    this.iceGeneration++;
    this.log.push('restartIce');
    this.#changed();
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    await Promise.resolve();
    this.#assertOpen();
    this.log.push('createOffer');
    const offer = this.#createOffer();
    return { type: 'offer', sdp: offer.sdp };
  }

  #createOffer(): { sdp: string; version: number } {
    const sdp: FakeSdp = {
      fake: true,
      tracks: this.senders.flatMap((sender) => (sender.track ? [sender.track.id] : [])),
      channels: [...this.channels],
      iceGeneration: this.iceGeneration,
      version: this.#localVersion,
    };
    this.#lastCreatedOffer = { sdp: JSON.stringify(sdp), version: this.#localVersion };
    return this.#lastCreatedOffer;
  }

  async setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    this.#assertOpen();
    if (description?.type === 'rollback') {
      if (this.signalingState !== 'have-local-offer')
        throw new Error('InvalidStateError: nothing to roll back');
      this.rollbacks++;
      this.log.push('rollback');
      this.localDescription = null;
      this.#setSignalingState('stable');
      return;
    }
    if (this.signalingState === 'stable' || this.signalingState === 'have-local-offer') {
      const offer = description?.sdp ? this.#lastCreatedOffer : this.#createOffer();
      if (!offer || (offer.sdp !== description?.sdp && description?.sdp)) {
        throw new Error('InvalidModificationError: not the last created offer');
      }
      this.#offeredVersion = offer.version;
      this.localDescription = { type: 'offer', sdp: offer.sdp };
      this.log.push('setLocal:offer');
      this.#setSignalingState('have-local-offer');
      return;
    }
    if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: JSON.stringify({ fake: true, answer: true }) };
      this.log.push('setLocal:answer');
      this.#setSignalingState('stable');
      return;
    }
    throw new Error(`InvalidStateError: setLocalDescription in ${this.signalingState}`);
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    this.#assertOpen();
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable' && this.signalingState !== 'have-remote-offer') {
        throw new Error(`InvalidStateError: remote offer in ${this.signalingState} (no implicit rollback)`);
      }
      const sdp = JSON.parse(description.sdp ?? '') as FakeSdp;
      this.remoteDescription = description;
      this.log.push('setRemote:offer');
      this.#setSignalingState('have-remote-offer');
      for (const id of sdp.tracks) {
        if (this.remoteTracks.includes(id)) continue;
        this.remoteTracks.push(id);
        this.dispatchEvent(
          Object.assign(new Event('track'), { track: { id, kind: 'video' }, streams: [], transceiver: {} }),
        );
      }
      return;
    }
    if (description.type === 'answer') {
      if (this.signalingState !== 'have-local-offer') {
        throw new Error(`InvalidStateError: remote answer in ${this.signalingState}`);
      }
      this.remoteDescription = description;
      this.log.push('setRemote:answer');
      this.#negotiatedVersion = this.#offeredVersion;
      this.#setSignalingState('stable');
      return;
    }
    throw new Error(`unsupported remote description ${description.type}`);
  }

  async addIceCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    await Promise.resolve();
    if (!this.remoteDescription) throw new Error('InvalidStateError: no remote description');
    this.addedCandidates.push(candidate);
  }

  close(): void {
    this.closed = true;
    this.signalingState = 'closed';
  }

  // --- driven by the test ---
  emitCandidate(
    candidate: { candidate: string; sdpMLineIndex: number | null; sdpMid: string | null } | null,
  ): void {
    this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate }));
  }

  setIceConnectionState(state: RTCIceConnectionState): void {
    this.iceConnectionState = state;
    this.dispatchEvent(new Event('iceconnectionstatechange'));
  }

  get localTracksNegotiated(): boolean {
    return this.#negotiatedVersion >= this.#localVersion;
  }

  #assertOpen(): void {
    if (this.closed) throw new Error('InvalidStateError: closed');
  }

  #setSignalingState(state: RTCSignalingState): void {
    this.signalingState = state;
    this.dispatchEvent(new Event('signalingstatechange'));
    if (state === 'stable') this.#maybeNegotiationNeeded();
  }

  #changed(): void {
    this.#localVersion++;
    this.#maybeNegotiationNeeded();
  }

  /** webrtc-pc §4.7.3 "update the negotiation-needed flag": a task that re-checks before firing. */
  #maybeNegotiationNeeded(): void {
    if (this.#eventPending) return;
    this.#eventPending = true;
    queueMicrotask(() => {
      this.#eventPending = false;
      if (this.closed || this.signalingState !== 'stable' || this.localTracksNegotiated) return;
      this.dispatchEvent(new Event('negotiationneeded'));
    });
  }
}

/** Lets every pending promise callback and microtask run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances virtual time in steps, letting promises settle between steps. */
export async function runFor(clock: VirtualClock, ms: number, stepMs = 5): Promise<void> {
  await flushMicrotasks();
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    clock.advance(Math.min(stepMs, ms - elapsed));
    await flushMicrotasks();
  }
}

/**
 * An in-memory Ant Media P2P relay (the subset of antmedia-p2p.md the client meets): join → joined,
 * `start` to the peer that was waiting, relay of takeConfiguration (+ idMapping) and takeCandidate,
 * leave/close → stop to the partner. Deliveries take `latencyMs` of virtual time.
 */
export class FakeRelay {
  readonly #clock: Clock;
  readonly #latencyMs: number;
  readonly #members = new Map<string, FakeWebSocket[]>();
  readonly #joined = new Set<FakeWebSocket>();
  /** Frames to hold back: return true to drop one instead of relaying it. */
  dropFilter: ((message: Record<string, unknown>) => boolean) | undefined;

  constructor(clock: Clock, latencyMs: number) {
    this.#clock = clock;
    this.#latencyMs = latencyMs;
  }

  /** A WebSocket class whose sockets connect to this relay (they open after one latency). */
  webSocketClass(): { WebSocket: WebSocketConstructor; sockets: FakeWebSocket[] } {
    return fakeWebSocketClass((socket) => {
      socket.onSend = (data) => this.#receive(socket, JSON.parse(data) as Record<string, unknown>);
      const originalClose = socket.close.bind(socket);
      socket.close = () => {
        originalClose();
        this.#leave(socket, false);
      };
      this.#later(() => socket.open());
    });
  }

  #later(action: () => void): void {
    this.#clock.setTimeout(action, this.#latencyMs);
  }

  #deliver(socket: FakeWebSocket, message: Record<string, unknown>): void {
    this.#later(() => {
      if (socket.readyState === 1) socket.deliver(message);
    });
  }

  #receive(socket: FakeWebSocket, message: Record<string, unknown>): void {
    const room = String(message.streamId);
    switch (message.command) {
      case 'ping':
        this.#deliver(socket, { command: 'pong' });
        return;
      case 'join': {
        const members = this.#members.get(room) ?? [];
        if (members.includes(socket)) return;
        members.push(socket);
        this.#members.set(room, members);
        this.#joined.add(socket);
        this.#deliver(socket, { command: 'notification', definition: 'joined', streamId: room });
        if (members.length === 2 && members[0])
          this.#deliver(members[0], { command: 'start', streamId: room });
        return;
      }
      case 'takeConfiguration':
      case 'takeCandidate':
      case 'peerMessageCommand': {
        if (this.dropFilter?.(message)) return;
        const partner = this.#members.get(room)?.find((member) => member !== socket);
        if (!partner) return;
        const relayed = message.command === 'takeConfiguration' ? { ...message, idMapping: {} } : message;
        this.#deliver(partner, relayed);
        return;
      }
      case 'leave':
        this.#leave(socket, true);
        return;
      default:
        return;
    }
  }

  #leave(socket: FakeWebSocket, notify: boolean): void {
    if (!this.#joined.delete(socket)) return;
    for (const [room, members] of this.#members) {
      if (!members.includes(socket)) continue;
      const remaining = members.filter((member) => member !== socket);
      this.#members.set(room, remaining);
      if (notify) this.#deliver(socket, { command: 'notification', definition: 'leaved', streamId: room });
      for (const member of remaining) this.#deliver(member, { command: 'stop', streamId: room });
    }
  }

  /** Simulates the server going away: every socket drops and the rooms are forgotten. */
  restart(): void {
    const sockets = [...this.#joined];
    this.#joined.clear();
    this.#members.clear();
    for (const socket of sockets) socket.drop();
  }
}
