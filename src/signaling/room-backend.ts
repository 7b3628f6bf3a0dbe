import type { JoinMode, ServerMessage } from './protocol.ts';

/** Hands a message to a peer's socket; `text`, when given, is its JSON encoding, to be sent as is. */
export type DeliverMessage = (message: ServerMessage, text?: Uint8Array) => void;

export type RoomMember = { readonly peerId: string; readonly mode: JoinMode };

export type JoinOutcome =
  | { readonly kind: 'joined'; readonly members: readonly RoomMember[] }
  | { readonly kind: 'already'; readonly members: readonly RoomMember[] }
  | { readonly kind: 'full' };

/**
 * Where rooms live and how a message reaches a peer. One process keeps both in memory; several processes
 * share them through Redis (a separate implementation of this interface). Every operation may be remote,
 * hence the promises; `join` must be atomic so the room-full rule holds across processes.
 */
export interface RoomBackend {
  /** A new id for a peer connected to this process (Redis embeds the process in it, for delivery). */
  createPeerId(): string;
  /** Adds `member` to `room` unless the room already holds `capacity` peers. Members are in join order. */
  join(room: string, member: RoomMember, capacity: number): Promise<JoinOutcome>;
  /** Removes the peer from the room (a no-op if absent) and returns the members that remain. */
  leave(room: string, peerId: string): Promise<readonly RoomMember[]>;
  members(room: string): Promise<readonly RoomMember[]>;
  /** Registers a peer connected to this process: messages sent to it are handed to `deliver`. */
  attach(peerId: string, deliver: DeliverMessage): void;
  detach(peerId: string): void;
  /** Sends to the peer wherever it is connected; resolves false when it is connected nowhere. */
  send(peerId: string, message: ServerMessage): Promise<boolean>;
  roomCount(): Promise<number>;
  close(): Promise<void>;
  /**
   * Present when rooms and peers all live in this process: the same lookups, answered at once, so relaying
   * a message (the hot path) needs no promise.
   */
  readonly local?: LocalRooms;
}

export interface LocalRooms {
  members(room: string): readonly RoomMember[];
  /** False when the peer is not connected. `text`, when given, is the message's JSON encoding. */
  send(peerId: string, message: ServerMessage, text?: Uint8Array): boolean;
}

/** The single-process backend: rooms and peers in maps, delivery by direct call. */
export class InMemoryRoomBackend implements RoomBackend {
  readonly #rooms = new Map<string, RoomMember[]>();
  readonly #peers = new Map<string, DeliverMessage>();

  createPeerId(): string {
    return crypto.randomUUID();
  }

  async join(room: string, member: RoomMember, capacity: number): Promise<JoinOutcome> {
    const members = this.#rooms.get(room);
    if (!members) {
      const created = [member];
      this.#rooms.set(room, created);
      return { kind: 'joined', members: created };
    }
    if (members.some((existing) => existing.peerId === member.peerId)) return { kind: 'already', members };
    if (members.length >= capacity) return { kind: 'full' };
    members.push(member);
    return { kind: 'joined', members };
  }

  async leave(room: string, peerId: string): Promise<readonly RoomMember[]> {
    const members = this.#rooms.get(room);
    if (!members) return [];
    const remaining = members.filter((member) => member.peerId !== peerId);
    // An empty room is deleted, so the same id can be used again from scratch [INF].
    if (remaining.length === 0) this.#rooms.delete(room);
    else this.#rooms.set(room, remaining);
    return remaining;
  }

  readonly local: LocalRooms = {
    members: (room) => this.#rooms.get(room) ?? [],
    send: (peerId, message, text) => {
      const deliver = this.#peers.get(peerId);
      if (!deliver) return false;
      deliver(message, text);
      return true;
    },
  };

  async members(room: string): Promise<readonly RoomMember[]> {
    return this.local.members(room);
  }

  attach(peerId: string, deliver: DeliverMessage): void {
    this.#peers.set(peerId, deliver);
  }

  detach(peerId: string): void {
    this.#peers.delete(peerId);
  }

  async send(peerId: string, message: ServerMessage): Promise<boolean> {
    return this.local.send(peerId, message);
  }

  async roomCount(): Promise<number> {
    return this.#rooms.size;
  }

  async close(): Promise<void> {
    this.#rooms.clear();
    this.#peers.clear();
  }
}
