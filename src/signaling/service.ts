import {
  type ClientCommand,
  type ClientMessage,
  type IceServerConfigMessage,
  isValidStreamId,
  type JoinMessage,
  type JoinMode,
  type RelayedMessage,
  roomCapacity,
  SignalingError,
  type SignalingErrorDefinition,
  SignalingNotification,
} from './protocol.ts';
import { relayedText } from './relay-text.ts';
import type { DeliverMessage, LocalRooms, RoomBackend, RoomMember } from './room-backend.ts';
import { verifyRoomToken } from './room-token.ts';
import { clientMessageSchemas } from './schema.ts';

/** Hooks for metrics; every one is optional. */
export interface SignalingObserver {
  /** Every decoded frame, by command ('other' for anything that is not a known command). */
  received?(command: ClientCommand | 'other'): void;
  relayed?(command: RelayedMessage['command'], latencyMs: number): void;
  error?(definition: SignalingErrorDefinition): void;
}

export type SignalingServiceOptions = {
  backend: RoomBackend;
  /**
   * The iceServerConfig answer for a peer (fresh TURN credentials each time, where TURN is on), for the
   * room it joined last (undefined before any join).
   */
  iceServerConfig: (session: PeerSession, room: string | undefined) => IceServerConfigMessage;
  /** Called once per session when its socket has closed and it has left its rooms. */
  sessionClosed?: (session: PeerSession) => void;
  /** Checks a message of a known command against its schema (the server compiles them with Ajv). */
  validate: (command: ClientCommand, message: object) => boolean;
  /**
   * When set, `join` must carry a token minted with it for the room, and getIceServerConfig is answered
   * only once the peer has joined a room: TURN credentials are for peers the operator let in.
   */
  roomTokenSecret?: string;
  observer?: SignalingObserver;
  maxRoomsPerPeer?: number;
  /** Milliseconds, for relay latency. */
  now?: () => number;
};

const knownCommands: ReadonlySet<string> = new Set(Object.keys(clientMessageSchemas));
const relayCommands: ReadonlySet<string> = new Set([
  'takeConfiguration',
  'takeCandidate',
  'peerMessageCommand',
]);

/** One connected peer: its id on the backend and the rooms it joined (with its mode in each). */
export class PeerSession {
  readonly rooms = new Map<string, JoinMode>();
  /** Messages of one socket are handled one after another, so relays keep the sender's order [SDK]. */
  tail: Promise<void> = Promise.resolve();
  /** Operations chained on `tail` and not finished; while zero, a relay may be handled at once. */
  pending = 0;
  closed = false;
  /** getIceServerConfig arrived before any join while joins need a token: answered after the first join. */
  iceServerConfigWanted = false;

  constructor(
    readonly peerId: string,
    readonly deliver: DeliverMessage,
    /** The host name the peer reached the server by, for the addresses in iceServerConfig. */
    readonly host: string,
  ) {}
}

/**
 * The rules of the protocol (docs/signaling-protocol.md), independent of the transport: the
 * server feeds it decoded frames and it answers through each session's `deliver` or the backend.
 */
export class SignalingService {
  readonly #options: SignalingServiceOptions;
  readonly #backend: RoomBackend;
  readonly #now: () => number;
  readonly #maxRoomsPerPeer: number;

  constructor(options: SignalingServiceOptions) {
    this.#options = options;
    this.#backend = options.backend;
    this.#now = options.now ?? (() => performance.now());
    this.#maxRoomsPerPeer = options.maxRoomsPerPeer ?? 4;
  }

  open(deliver: DeliverMessage, host = 'localhost'): PeerSession {
    const session = new PeerSession(this.#backend.createPeerId(), deliver, host);
    this.#backend.attach(session.peerId, deliver);
    return session;
  }

  /**
   * Takes one decoded frame from the peer, with the JSON text it was decoded from when the transport has it
   * (a relay may then be forwarded without encoding it again). Anything that is not a known command is
   * ignored [AMS].
   */
  receive(session: PeerSession, frame: unknown, receivedAt = this.#now(), source?: Uint8Array): void {
    const message = typeof frame === 'object' && frame !== null && !Array.isArray(frame) ? frame : undefined;
    const command = (message as { command?: unknown } | undefined)?.command;
    const known = message !== undefined && typeof command === 'string' && knownCommands.has(command);
    this.#options.observer?.received?.(known ? (command as ClientCommand) : 'other');
    if (session.closed || !known) return;
    // Keepalives are most of the traffic of an idle server: answered at once when nothing is in flight.
    if (command === 'ping' && session.pending === 0) {
      session.deliver({ command: 'pong' });
      return;
    }
    const local = this.#backend.local;
    if (local && session.pending === 0 && relayCommands.has(command)) {
      // Nothing of this socket is in flight, so handling the relay now keeps its order.
      const checked = this.#checked(session, command as ClientCommand, message) as RelayedMessage | undefined;
      if (checked) this.#relayLocal(session, checked, receivedAt, local, source);
      return;
    }
    session.pending++;
    session.tail = session.tail
      .then(() => this.#dispatch(session, command as ClientCommand, message, receivedAt))
      .then(
        () => {
          session.pending--;
        },
        () => {
          session.pending--;
          // The backend failed (Redis unreachable): the sender is told, the message is not silently lost.
          const streamId = (message as { streamId?: unknown }).streamId;
          this.#fail(
            session,
            SignalingError.deliveryFailed,
            typeof streamId === 'string' ? streamId : undefined,
          );
        },
      );
  }

  /** The socket closed: the peer leaves every room it was in, and partners get `stop` [SDK]. */
  close(session: PeerSession): Promise<void> {
    session.closed = true;
    session.tail = session.tail
      .then(async () => {
        for (const room of [...session.rooms.keys()]) await this.#leaveRoom(session, room);
      })
      .catch(() => {
        // The backend is unreachable; a shared backend sweeps the memberships of peers it cannot reach.
      })
      .finally(() => {
        this.#backend.detach(session.peerId);
        this.#options.sessionClosed?.(session);
      });
    return session.tail;
  }

  async #dispatch(
    session: PeerSession,
    command: ClientCommand,
    frame: object,
    receivedAt: number,
  ): Promise<void> {
    if (command === 'ping') return session.deliver({ command: 'pong' });
    // getIceServerConfig carries no streamId and must not be rejected for it [SDK].
    if (command === 'getIceServerConfig') {
      if (this.#options.roomTokenSecret !== undefined && session.rooms.size === 0) {
        session.iceServerConfigWanted = true;
        return;
      }
      return this.#deliverIceServerConfig(session);
    }
    if (relayCommands.has(command)) {
      const message = this.#checked(session, command, frame) as RelayedMessage | undefined;
      return message && this.#relay(session, relayedMessage(message), receivedAt);
    }
    const message = this.#checked(session, command, frame);
    if (!message) return;
    const streamId = message.streamId;
    switch (message.command) {
      case 'join':
        return this.#join(session, message);
      case 'leave':
        if (session.rooms.has(streamId)) await this.#leaveRoom(session, streamId);
        // A socket that never joined may send leave (the SDK reopens sockets lazily): answer quietly [SDK].
        return session.deliver({
          command: 'notification',
          definition: SignalingNotification.leaved,
          streamId,
        });
      case 'stop':
        if (session.rooms.has(streamId)) await this.#leaveRoom(session, streamId);
        return;
    }
  }

  /** A room command with a valid streamId that matches its schema; otherwise the peer is told why. */
  #checked(
    session: PeerSession,
    command: ClientCommand,
    frame: object,
  ): (ClientMessage & { streamId: string }) | undefined {
    const streamId = (frame as { streamId?: unknown }).streamId;
    if (streamId === undefined || streamId === null || streamId === '') {
      this.#fail(session, SignalingError.noStreamNameSpecified);
      return undefined;
    }
    if (typeof streamId !== 'string' || !isValidStreamId(streamId)) {
      this.#fail(
        session,
        SignalingError.invalidStreamName,
        typeof streamId === 'string' ? streamId : undefined,
      );
      return undefined;
    }
    if (!this.#options.validate(command, frame)) {
      this.#fail(session, SignalingError.invalidMessage, streamId);
      return undefined;
    }
    return frame as ClientMessage & { streamId: string };
  }

  async #join(session: PeerSession, message: JoinMessage): Promise<void> {
    const room = message.streamId;
    const secret = this.#options.roomTokenSecret;
    if (secret !== undefined) {
      const valid =
        typeof message.token === 'string' &&
        (await verifyRoomToken(secret, room, message.token, Date.now() / 1000));
      if (!valid) return this.#fail(session, SignalingError.unauthorized, room);
    }
    if (!session.rooms.has(room) && session.rooms.size >= this.#maxRoomsPerPeer) {
      return this.#fail(session, SignalingError.tooManyRooms, room);
    }
    const mode: JoinMode = message.mode === 'play' ? 'play' : 'both';
    const outcome = await this.#backend.join(room, { peerId: session.peerId, mode }, roomCapacity);
    if (outcome.kind === 'full') return this.#fail(session, SignalingError.roomFull, room);

    session.deliver({ command: 'notification', definition: SignalingNotification.joined, streamId: room });
    // A duplicate join is idempotent: joined again, never counted twice, no second start [INF].
    if (outcome.kind === 'already') return;
    session.rooms.set(room, mode);
    // Before any start, so the peer has its ICE servers when it builds the connection [SDK].
    if (session.iceServerConfigWanted) {
      session.iceServerConfigWanted = false;
      this.#deliverIceServerConfig(session);
    }
    if (outcome.members.length === roomCapacity) {
      const offerer = this.#chooseOfferer(outcome.members, session.peerId);
      await this.#backend.send(offerer, { command: 'start', streamId: room });
    }
  }

  #deliverIceServerConfig(session: PeerSession): void {
    let lastRoom: string | undefined;
    for (const room of session.rooms.keys()) lastRoom = room;
    session.deliver(this.#options.iceServerConfig(session, lastRoom));
  }

  /**
   * `start` goes to the peer that was already waiting [DOC], unless it only plays and the newcomer
   * publishes: the offerer should be a peer with media [INF].
   */
  #chooseOfferer(members: readonly RoomMember[], newcomerId: string): string {
    const waiting = members.find((member) => member.peerId !== newcomerId);
    const newcomer = members.find((member) => member.peerId === newcomerId);
    if (waiting && newcomer && waiting.mode === 'play' && newcomer.mode === 'both') return newcomer.peerId;
    return waiting?.peerId ?? newcomerId;
  }

  async #leaveRoom(session: PeerSession, room: string): Promise<void> {
    session.rooms.delete(room);
    const remaining = await this.#backend.leave(room, session.peerId);
    for (const member of remaining)
      await this.#backend.send(member.peerId, { command: 'stop', streamId: room });
  }

  async #relay(session: PeerSession, message: RelayedMessage, receivedAt: number): Promise<void> {
    const room = message.streamId;
    const partner = session.rooms.has(room)
      ? partnerOf(session, await this.#backend.members(room))
      : undefined;
    const delivered = partner !== undefined && (await this.#backend.send(partner.peerId, message));
    this.#relayed(session, message, receivedAt, delivered);
  }

  /** #relay on rooms held in this process, without a promise; `message` is the validated frame. */
  #relayLocal(
    session: PeerSession,
    message: RelayedMessage,
    receivedAt: number,
    local: LocalRooms,
    source: Uint8Array | undefined,
  ): void {
    const room = message.streamId;
    const partner = session.rooms.has(room) ? partnerOf(session, local.members(room)) : undefined;
    let delivered = false;
    if (partner !== undefined) {
      const text = source && relayedText(message, source);
      delivered = text
        ? local.send(partner.peerId, message, text)
        : local.send(partner.peerId, relayedMessage(message));
    }
    this.#relayed(session, message, receivedAt, delivered);
  }

  #relayed(session: PeerSession, message: RelayedMessage, receivedAt: number, delivered: boolean): void {
    if (delivered) this.#options.observer?.relayed?.(message.command, this.#now() - receivedAt);
    else this.#fail(session, SignalingError.noPeerAssociatedBefore, message.streamId);
  }

  #fail(session: PeerSession, definition: SignalingErrorDefinition, streamId?: string): void {
    this.#options.observer?.error?.(definition);
    session.deliver(
      streamId === undefined ? { command: 'error', definition } : { command: 'error', definition, streamId },
    );
  }
}

/** What the partner receives for a validated relay command: only the fields the protocol defines. */
function relayedMessage(message: RelayedMessage): RelayedMessage {
  switch (message.command) {
    case 'takeConfiguration':
      // idMapping: {} keeps pages that pass no remoteVideoId from crashing in onTrack [SDK].
      return {
        command: 'takeConfiguration',
        streamId: message.streamId,
        type: message.type,
        sdp: message.sdp,
        idMapping: {},
      };
    case 'takeCandidate':
      return {
        command: 'takeCandidate',
        streamId: message.streamId,
        label: message.label,
        id: message.id ?? '',
        candidate: message.candidate,
      };
    case 'peerMessageCommand':
      return {
        command: 'peerMessageCommand',
        streamId: message.streamId,
        definition: message.definition,
        data: message.data,
      };
  }
}

function partnerOf(session: PeerSession, members: readonly RoomMember[]): RoomMember | undefined {
  return members.find((member) => member.peerId !== session.peerId);
}
