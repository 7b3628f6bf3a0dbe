import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type {
  DeliverMessage,
  JoinMode,
  JoinOutcome,
  RoomBackend,
  RoomMember,
  ServerMessage,
} from '../signaling/index.ts';
import { type Clock, systemClock, type TimerHandle } from '../util/index.ts';

/**
 * Adds a member unless present or the room is full, atomically, so the room-full rule holds across
 * processes. Members are "peerId mode" strings in join order.
 * KEYS: room list, set of rooms, rooms of this process, room-change channel. ARGV: member, peerId, capacity, room.
 */
const joinScript = `
local members = redis.call('LRANGE', KEYS[1], 0, -1)
local prefix = ARGV[2] .. ' '
for _, member in ipairs(members) do
  if string.sub(member, 1, #prefix) == prefix then return {'already', unpack(members)} end
end
if #members >= tonumber(ARGV[3]) then return {'full'} end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PUBLISH', KEYS[4], ARGV[4])
table.insert(members, ARGV[1])
return {'joined', unpack(members)}
`;

/**
 * Removes the members whose entry starts with ARGV[1] (one peer: "peerId "; a whole process: "process.")
 * and returns those that remain; an emptied room is deleted.
 * KEYS: room list, set of rooms, rooms of the process, room-change channel. ARGV: prefix, room, process prefix.
 */
const leaveScript = `
local members = redis.call('LRANGE', KEYS[1], 0, -1)
local remaining = {}
local processStays = false
for _, member in ipairs(members) do
  if string.sub(member, 1, #ARGV[1]) == ARGV[1] then
    redis.call('LREM', KEYS[1], 0, member)
  else
    table.insert(remaining, member)
    if string.sub(member, 1, #ARGV[3]) == ARGV[3] then processStays = true end
  end
end
if #remaining < #members then redis.call('PUBLISH', KEYS[4], ARGV[2]) end
if #remaining == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
end
if not processStays then redis.call('SREM', KEYS[3], ARGV[2]) end
return remaining
`;

type RedisWithScripts = Redis & {
  dyadJoin(
    room: string,
    rooms: string,
    processRooms: string,
    changes: string,
    ...args: string[]
  ): Promise<string[]>;
  dyadLeave(
    room: string,
    rooms: string,
    processRooms: string,
    changes: string,
    ...args: string[]
  ): Promise<string[]>;
};

export type RedisRoomBackendOptions = {
  url: string;
  keyPrefix?: string;
  /** How often this process says it is alive, and how long silence means it died. */
  heartbeatMs?: number;
  deadAfterMs?: number;
  logger?: Logger;
  clock?: Clock;
};

function toMember(entry: string): RoomMember {
  const space = entry.indexOf(' ');
  return { peerId: entry.slice(0, space), mode: entry.slice(space + 1) as JoinMode };
}

/**
 * Rooms shared by several `dyad serve` processes through Redis. Peer ids carry the id of the process
 * that holds the socket, and each process subscribes to its own channel, so a message reaches a peer
 * with one PUBLISH; no subscriber means the process is gone and the send fails visibly. Processes
 * heartbeat into a sorted set; the survivors sweep a dead one's rooms and send `stop` to its partners.
 */
export class RedisRoomBackend implements RoomBackend {
  readonly processId = randomUUID().replaceAll('-', '');
  readonly #commands: RedisWithScripts;
  readonly #subscriber: Redis;
  readonly #keyPrefix: string;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #logger: Logger | undefined;
  readonly #clock: Clock;
  readonly #local = new Map<string, DeliverMessage>();
  /** Memberships of this process's peers, to register again after Redis lost them (restart). */
  readonly #localMemberships = new Map<string, Map<string, JoinMode>>();
  readonly #membersCache = new Map<string, readonly RoomMember[]>();
  #cacheGeneration = 0;
  #heartbeatTimer: TimerHandle | undefined;
  #closed = false;

  private constructor(options: RedisRoomBackendOptions) {
    this.#keyPrefix = options.keyPrefix ?? 'dyad:';
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.#deadAfterMs = options.deadAfterMs ?? 5_000;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1_000);
    // Commands fail at once while Redis is away (no offline queue): a relay must fail visibly, not wait.
    this.#commands = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy,
      lazyConnect: true,
    }) as RedisWithScripts;
    this.#commands.defineCommand('dyadJoin', { numberOfKeys: 4, lua: joinScript });
    this.#commands.defineCommand('dyadLeave', { numberOfKeys: 4, lua: leaveScript });
    this.#subscriber = new Redis(options.url, { retryStrategy, lazyConnect: true, autoResubscribe: true });
    for (const connection of [this.#commands, this.#subscriber]) {
      connection.on('error', (error: Error) =>
        this.#logger?.warn({ err: error.message }, 'redis connection error'),
      );
    }
    this.#subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.#roomChanges) this.#forgetMembers(payload);
      else this.#onDelivery(payload);
    });
  }

  static async connect(options: RedisRoomBackendOptions): Promise<RedisRoomBackend> {
    const backend = new RedisRoomBackend(options);
    await backend.#commands.connect();
    await backend.#subscriber.connect();
    await backend.#subscriber.subscribe(backend.#channel(backend.processId), backend.#roomChanges);
    // After a reconnect Redis may have restarted empty: say this process is alive and re-register.
    backend.#commands.on('ready', () => void backend.#restoreMemberships());
    // Changes published while the subscriber was away were missed: drop every cached membership.
    backend.#subscriber.on('ready', () => backend.#forgetMembers());
    await backend.#heartbeat();
    return backend;
  }

  #key(name: string): string {
    return this.#keyPrefix + name;
  }

  #channel(processId: string): string {
    return this.#key(`deliver:${processId}`);
  }

  get #roomChanges(): string {
    return this.#key('room-changes');
  }

  createPeerId(): string {
    return `${this.processId}.${randomUUID()}`;
  }

  async join(room: string, member: RoomMember, capacity: number): Promise<JoinOutcome> {
    const reply = await this.#commands.dyadJoin(
      this.#key(`room:${room}`),
      this.#key('rooms'),
      this.#key(`process-rooms:${this.#processOf(member.peerId)}`),
      this.#roomChanges,
      `${member.peerId} ${member.mode}`,
      member.peerId,
      String(capacity),
      room,
    );
    const [status, ...entries] = reply;
    if (status === 'full') return { kind: 'full' };
    if (this.#local.has(member.peerId)) {
      const memberships = this.#localMemberships.get(room) ?? new Map<string, JoinMode>();
      this.#localMemberships.set(room, memberships.set(member.peerId, member.mode));
    }
    return { kind: status === 'already' ? 'already' : 'joined', members: entries.map(toMember) };
  }

  async leave(room: string, peerId: string): Promise<readonly RoomMember[]> {
    const memberships = this.#localMemberships.get(room);
    memberships?.delete(peerId);
    if (memberships?.size === 0) this.#localMemberships.delete(room);
    return this.#removeMembers(room, `${peerId} `, this.#processOf(peerId));
  }

  async #removeMembers(room: string, entryPrefix: string, processId: string): Promise<RoomMember[]> {
    const remaining = await this.#commands.dyadLeave(
      this.#key(`room:${room}`),
      this.#key('rooms'),
      this.#key(`process-rooms:${processId}`),
      this.#roomChanges,
      entryPrefix,
      room,
      `${processId}.`,
    );
    return remaining.map(toMember);
  }

  /**
   * Relays ask for a room's members on every message, so they are cached here; every join and leave
   * publishes the room's name from inside its script, and each process forgets its copy on that. A
   * `start` that follows a join is published after the change by the same connection, so Redis delivers
   * the change first and the offerer never relays on a stale copy.
   */
  async members(room: string): Promise<readonly RoomMember[]> {
    const cached = this.#membersCache.get(room);
    if (cached) return cached;
    const generation = this.#cacheGeneration;
    const members = (await this.#commands.lrange(this.#key(`room:${room}`), 0, -1)).map(toMember);
    // Keep it only if no change was announced while it was being read.
    if (generation === this.#cacheGeneration && members.length > 0) this.#membersCache.set(room, members);
    return members;
  }

  #forgetMembers(room?: string): void {
    this.#cacheGeneration += 1;
    if (room === undefined) this.#membersCache.clear();
    else this.#membersCache.delete(room);
  }

  attach(peerId: string, deliver: DeliverMessage): void {
    this.#local.set(peerId, deliver);
  }

  detach(peerId: string): void {
    this.#local.delete(peerId);
  }

  async send(peerId: string, message: ServerMessage): Promise<boolean> {
    const local = this.#local.get(peerId);
    if (local) {
      local(message);
      return true;
    }
    const receivers = await this.#commands.publish(
      this.#channel(this.#processOf(peerId)),
      JSON.stringify({ to: peerId, message }),
    );
    return receivers > 0;
  }

  async roomCount(): Promise<number> {
    return this.#commands.scard(this.#key('rooms'));
  }

  #processOf(peerId: string): string {
    return peerId.slice(0, peerId.indexOf('.'));
  }

  #onDelivery(payload: string): void {
    try {
      const { to, message } = JSON.parse(payload) as { to: string; message: ServerMessage };
      this.#local.get(to)?.(message);
    } catch (error) {
      this.#logger?.warn({ err: (error as Error).message }, 'undecodable delivery from redis');
    }
  }

  /** Says this process is alive, then sweeps the rooms of processes that stopped saying so. */
  async #heartbeat(): Promise<void> {
    try {
      const [seconds, micros] = await this.#commands.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await this.#commands.zadd(this.#key('processes'), now, this.processId);
      const dead = await this.#commands.zrangebyscore(
        this.#key('processes'),
        '-inf',
        `(${now - this.#deadAfterMs}`,
      );
      for (const processId of dead) await this.#sweep(processId);
    } catch (error) {
      this.#logger?.warn({ err: (error as Error).message }, 'redis heartbeat failed');
    }
    if (!this.#closed)
      this.#heartbeatTimer = this.#clock.setTimeout(() => void this.#heartbeat(), this.#heartbeatMs);
  }

  /** Removes a dead process's peers from their rooms and tells their partners, once across processes. */
  async #sweep(processId: string): Promise<void> {
    // Only the process whose ZREM removed the entry sweeps.
    if ((await this.#commands.zrem(this.#key('processes'), processId)) !== 1) return;
    const rooms = await this.#commands.smembers(this.#key(`process-rooms:${processId}`));
    for (const room of rooms) {
      const remaining = await this.#removeMembers(room, `${processId}.`, processId);
      for (const member of remaining) await this.send(member.peerId, { command: 'stop', streamId: room });
    }
    await this.#commands.del(this.#key(`process-rooms:${processId}`));
    this.#logger?.info({ processId, rooms: rooms.length }, 'swept the rooms of a dead process');
  }

  /**
   * After a reconnect: registers again the memberships Redis lost (it restarted empty) and removes those
   * whose peers left while Redis was unreachable, telling their partners then.
   */
  async #restoreMemberships(): Promise<void> {
    try {
      for (const [room, members] of this.#localMemberships) {
        for (const [peerId, mode] of members)
          await this.join(room, { peerId, mode }, Number.MAX_SAFE_INTEGER);
      }
      const ownPrefix = `${this.processId}.`;
      for (const room of await this.#commands.smembers(this.#key(`process-rooms:${this.processId}`))) {
        for (const member of await this.members(room)) {
          if (!member.peerId.startsWith(ownPrefix) || this.#localMemberships.get(room)?.has(member.peerId))
            continue;
          const remaining = await this.#removeMembers(room, `${member.peerId} `, this.processId);
          for (const partner of remaining)
            await this.send(partner.peerId, { command: 'stop', streamId: room });
        }
      }
      this.#logger?.info({ rooms: this.#localMemberships.size }, 'redis reconnected; memberships restored');
    } catch (error) {
      this.#logger?.warn({ err: (error as Error).message }, 'restoring memberships failed');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#clock.clearTimeout(this.#heartbeatTimer);
    try {
      await this.#commands.zrem(this.#key('processes'), this.processId);
    } catch {
      // Redis is away: the survivors will sweep this process after deadAfterMs.
    }
    this.#subscriber.disconnect();
    this.#commands.disconnect();
  }
}
