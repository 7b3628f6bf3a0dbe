/**
 * The signaling door: mutated frames over real WebSockets to `dyad serve`, from pairs of sockets joined to
 * the same room so relays reach a partner (where the re-serialization of a relayed message happens), from
 * loners in no room, and from flooders that cross the rate limit. Each socket sends a batch, then a ping,
 * and waits for the pong: the server answers in order, so the pong says the batch was handled.
 */
import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { CaseRing, frameOf, type SignalingCase, signalingCase } from '../cases.ts';
import type { FuzzRandom } from '../door.ts';
import { messageBurst } from '../server.ts';
import { frameCapBytes, type SignalingFrame, signalingFrame } from '../signaling-frames.ts';
import type { DoorRun } from './run-door.ts';

const pairs = 48;
const loners = 16;
const batch = 24;
const pongTimeoutMs = 15_000;
/** Source addresses for the sockets, so the per-address socket limit is not what the run measures. */
const addressCount = 32;

/** What a partner receives when a relay reached it: evidence that cases got to the delivery code. */
const relayedPrefix = /^\{"command":"(takeConfiguration|takeCandidate|peerMessageCommand)"/;
const relaysReceived = { count: 0 };

/** The server closes a socket on a frame over the cap (1009) and on invalid UTF-8 in a text frame (1007). */
function closesSocket({ frame, binary }: SignalingFrame): boolean {
  return frame.length > frameCapBytes || (!binary && !isUtf8(frame));
}

/** A frame that may have taken the socket out of its room. */
const membershipChange = /"(leave|stop|join)"/;

interface Sent {
  readonly room: string;
  readonly from: SignalingCase['from'];
  readonly frame: SignalingFrame;
}

class FuzzSocket {
  #socket: WebSocket | undefined;
  #pongWaiters: (() => void)[] = [];
  closed = true;

  constructor(
    readonly url: string,
    readonly localAddress: string,
  ) {}

  async open(): Promise<void> {
    const socket = new WebSocket(this.url, { localAddress: this.localAddress, perMessageDeflate: false });
    this.#socket = socket;
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary && data.length <= 24 && data.includes('"pong"')) this.#pongWaiters.shift()?.();
      else if (relayedPrefix.test(data.subarray(0, 32).toString('latin1'))) relaysReceived.count++;
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      this.closed = true;
      for (const waiter of this.#pongWaiters.splice(0)) waiter();
    });
    await once(socket, 'open');
    this.closed = false;
  }

  send(frame: SignalingFrame): void {
    if (!this.closed) this.#socket?.send(frame.frame, { binary: frame.binary });
  }

  /** Resolves once the server answered a ping sent after everything before it, or the socket closed. */
  sync(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), pongTimeoutMs);
      this.#pongWaiters.push(() => {
        clearTimeout(timer);
        resolve(!this.closed);
      });
      this.#socket?.send('{"command":"ping"}');
    });
  }

  close(): void {
    this.#socket?.terminate();
    this.closed = true;
  }
}

const join = (room: string): SignalingFrame => ({
  frame: Buffer.from(JSON.stringify({ command: 'join', streamId: room, mode: 'both', multiPeer: false })),
  binary: false,
});

/** Sends recorded cases again: each room's pair is joined first, as when they were recorded. */
export async function replaySignaling(run: DoorRun, cases: readonly SignalingCase[]): Promise<void> {
  const rooms = new Map<string, { a: FuzzSocket; b: FuzzSocket; loner: FuzzSocket; joined: boolean }>();
  try {
    for (const item of cases) {
      let group = rooms.get(item.room);
      if (!group) {
        const open = () => new FuzzSocket(run.server.wsUrl, '127.0.0.1');
        group = { a: open(), b: open(), loner: open(), joined: false };
        rooms.set(item.room, group);
      }
      const pair = [group.a, group.b];
      if ([...pair, group.loner].some((socket) => socket.closed)) {
        await Promise.all(
          [...pair, group.loner].filter((socket) => socket.closed).map((socket) => socket.open()),
        );
        group.joined = false;
      }
      // As the door did: the pair (re)joins its room after a reopen and after anything that left it.
      if (!group.joined) {
        for (const socket of pair) socket.send(join(item.room));
        await Promise.all(pair.map((socket) => socket.sync()));
        group.joined = true;
      }
      const frame = { frame: frameOf(item), binary: item.binary };
      const socket = group[item.from];
      socket.send(frame);
      // No pong where none was expected: maybe the server died; its exit is reported a little later.
      if (!(await socket.sync()) && !closesSocket(frame))
        await new Promise((resolve) => setTimeout(resolve, 300));
      if (membershipChange.test(frame.frame.subarray(0, 64).toString('latin1'))) group.joined = false;
      run.replayed++;
      if (run.server.exited()) return;
    }
  } finally {
    for (const group of rooms.values()) for (const socket of [group.a, group.b, group.loner]) socket.close();
  }
}

export async function runSignalingDoor(run: DoorRun): Promise<void> {
  const ring = new CaseRing<Sent>(2048);
  run.recent = () =>
    ring.recent().map((sent) => signalingCase(sent.room, sent.from, sent.frame.frame, sent.frame.binary));
  const address = (index: number) => `127.0.1.${1 + (index % addressCount)}`;
  const roomNames = Array.from({ length: pairs }, (_, index) => `fz${index}`);
  const sockets: FuzzSocket[] = [];

  const worker = async (index: number, random: FuzzRandom): Promise<void> => {
    const isPair = index < pairs;
    const room = isPair ? (roomNames[index] as string) : `loner${index}`;
    const a = new FuzzSocket(run.server.wsUrl, address(index));
    const b = new FuzzSocket(run.server.wsUrl, address(index + 7));
    sockets.push(a, b);
    const mine = isPair ? [a, b] : [a];
    /** (Re)opens what a case closed (1007, 1009, the rate limit) and joins the pair's room again. */
    const ready = async (): Promise<boolean> => {
      try {
        await Promise.all(mine.filter((socket) => socket.closed).map((socket) => socket.open()));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return false;
      }
      if (isPair) for (const socket of mine) socket.send(join(room));
      return true;
    };
    while (!run.stopped()) {
      // Cases leave, stop and join other rooms: the pair joins its room again before every batch.
      if (!(await ready())) continue;
      // Now and then a flood past the burst: rate_limited answers, and the close after 1,000 dropped.
      if (random.chance(0.002)) {
        const taken = run.take(messageBurst + 1_500);
        const frame = {
          frame: Buffer.from('{"command":"takeCandidate","streamId":"x","label":0,"candidate":"c"}'),
          binary: false,
        };
        for (let i = 0; i < taken; i++) a.send(frame);
        ring.push({ room, from: isPair ? 'a' : 'loner', frame });
        await a.sync();
        a.close();
        continue;
      }
      // Half the batches go one frame at a time, each after the answer to the last: a frame then finds the
      // socket's queue empty and is relayed at once (the synchronous path); the other half arrive
      // together and queue behind each other (the asynchronous path).
      const paced = random.chance(0.5);
      for (let sent = 0; sent < batch && run.take(1) === 1; sent++) {
        const fromB = isPair && random.chance(0.5);
        const frame = signalingFrame(room, roomNames, random);
        ring.push({ room, from: isPair ? (fromB ? 'b' : 'a') : 'loner', frame });
        const socket = fromB ? b : a;
        socket.send(frame);
        if (paced) {
          await socket.sync();
          if (socket.closed || membershipChange.test(frame.frame.subarray(0, 64).toString('latin1')))
            await ready();
        } else if (closesSocket(frame)) break;
      }
      const synced = await Promise.all(mine.map((socket) => socket.sync()));
      if (synced.includes(false) && !a.closed && !b.closed) run.note('a pong did not come in time');
    }
  };

  const workers = Array.from({ length: pairs + loners }, (_, index) => worker(index, run.random.fork()));
  try {
    await Promise.all(workers);
  } finally {
    for (const socket of sockets) socket.close();
    run.note(`at least ${relaysReceived.count} relayed messages reached a partner socket`);
    relaysReceived.count = 0;
  }
}
