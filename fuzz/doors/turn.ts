/**
 * The TURN doors (UDP and TCP): sessions that authenticate and allocate like a real client, install a
 * permission and a channel to a peer sink on loopback, then send mutated traffic on that 5-tuple; and
 * strangers with no allocation for the "before authentication" cases. Each batch ends with a signed
 * Refresh whose answer says the server handled the batch (UDP on loopback keeps a socket's order), and
 * tells whether a case removed the allocation. Sources spread over 127.0.0.2.. so the per-source limit on
 * unauthenticated requests (100/s) is crossed but does not swallow the run.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, type Socket as TcpSocket } from 'node:net';
import {
  decodeStunMessage,
  StunAttributeType,
  StunMethod,
  type TransportAddress,
} from '../../src/stun/index.ts';
import { StreamFramer, XOR_PEER_ADDRESS } from '../../src/turn/index.ts';
import { CaseRing, type StunTemplate, type TurnCase } from '../cases.ts';
import type { FuzzRandom } from '../door.ts';
import { turnRealm, turnUsers } from '../server.ts';
import { boundChannel, renderStun, type TurnSessionKeys, turnCase } from '../stun-cases.ts';
import type { DoorRun } from './run-door.ts';

export type TurnTransport = 'udp' | 'tcp';

const batchSize = 32;
const answerTimeoutMs = 2_000;
/** Users 0-15 hold the sessions' allocations, 16-23 the strangers' (10 allocations per user). */
const sessionUsers = 16;

interface Answer {
  readonly class: string;
  readonly code: number;
  readonly nonce?: string;
}

/** One client 5-tuple: a UDP socket or a TCP connection, with answers matched by transaction id. */
class TurnEndpoint {
  #udp: UdpSocket | undefined;
  #tcp: TcpSocket | undefined;
  readonly #waiting = new Map<string, (answer: Answer | undefined) => void>();
  closed = true;
  allocated = false;
  keys: TurnSessionKeys | undefined;

  constructor(
    readonly transport: TurnTransport,
    readonly localAddress: string,
    readonly server: TransportAddress,
  ) {}

  async open(): Promise<void> {
    this.allocated = false;
    if (this.transport === 'udp') {
      const socket = createSocket('udp4');
      socket.on('message', (data) => this.#onFrame(data));
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.bind(0, this.localAddress, resolve));
      this.#udp = socket;
    } else {
      const socket = connect({
        host: this.server.address,
        port: this.server.port,
        localAddress: this.localAddress,
      });
      socket.setNoDelay(true);
      const framer = new StreamFramer();
      socket.on('data', (chunk) => {
        try {
          for (const frame of framer.push(chunk)) this.#onFrame(frame);
        } catch {
          socket.destroy();
        }
      });
      socket.on('error', () => {});
      socket.once('close', () => {
        this.closed = true;
        this.allocated = false;
        for (const resolve of this.#waiting.values()) resolve(undefined);
        this.#waiting.clear();
      });
      await once(socket, 'connect');
      this.#tcp = socket;
    }
    this.closed = false;
  }

  #onFrame(frame: Uint8Array): void {
    if (frame.length < 20 || (frame[0] as number) >= 0x40) return;
    const resolve = this.#waiting.get(Buffer.from(frame.subarray(8, 20)).toString('hex'));
    if (!resolve) return;
    try {
      const message = decodeStunMessage(frame);
      const error = message.attributes.find((attribute) => attribute.type === StunAttributeType.ErrorCode);
      const nonce = message.attributes.find((attribute) => attribute.type === StunAttributeType.Nonce);
      resolve({
        class: message.class,
        code:
          error && error.value.length >= 4
            ? (error.value[2] as number) * 100 + (error.value[3] as number)
            : 0,
        nonce: nonce ? Buffer.from(nonce.value).toString() : undefined,
      });
    } catch {
      resolve(undefined);
    }
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#udp) this.#udp.send(bytes, this.server.port, this.server.address);
    else this.#tcp?.write(bytes);
  }

  /** Writes several frames as one stream, cut at random points (split and coalesced frames). */
  sendStream(frames: Uint8Array[], random: FuzzRandom): void {
    if (this.closed || !this.#tcp) return;
    const all = Buffer.concat(frames);
    let at = 0;
    while (at < all.length) {
      const piece = random.chance(0.3) ? 1 + random.int(64) : all.length - at;
      this.#tcp.write(all.subarray(at, at + piece));
      at += piece;
    }
  }

  request(template: StunTemplate, keys: TurnSessionKeys | undefined): Promise<Answer | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(template.transactionId);
        resolve(undefined);
      }, answerTimeoutMs);
      this.#waiting.set(template.transactionId, (answer) => {
        clearTimeout(timer);
        this.#waiting.delete(template.transactionId);
        resolve(answer);
      });
      this.send(renderStun(template, keys));
    });
  }

  close(): void {
    this.#udp?.close();
    this.#tcp?.destroy();
    this.#udp = undefined;
    this.#tcp = undefined;
    this.closed = true;
    this.allocated = false;
  }
}

const txid = (random: FuzzRandom) => Buffer.from(random.bytes(12)).toString('hex');
const u32hex = (value: number) => value.toString(16).padStart(8, '0');

function request(
  method: number,
  attributes: [number, string][],
  random: FuzzRandom,
  auth = true,
): StunTemplate {
  return {
    method,
    class: 'request',
    transactionId: txid(random),
    attributes,
    auth: auth ? 'session' : 'none',
    fingerprint: true,
  };
}

/** XOR-PEER-ADDRESS of an IPv4 peer (RFC 8489 §14.2: IPv4 is XORed with the cookie alone). */
function peerHex(peer: TransportAddress, transactionId: string): string {
  return Buffer.from(XOR_PEER_ADDRESS.encode(peer, Buffer.from(transactionId, 'hex'))).toString('hex');
}

/** Asks for a nonce (a 401 answers an unsigned Allocate); the limiter may drop a few, so it retries. */
async function fetchNonce(
  endpoint: TurnEndpoint,
  random: FuzzRandom,
  stopped: () => boolean,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < 30 && !stopped(); attempt++) {
    const answer = await endpoint.request(
      request(StunMethod.Allocate, [[StunAttributeType.RequestedTransport, '11000000']], random, false),
      undefined,
    );
    if (answer?.nonce) return answer.nonce;
    if (endpoint.closed) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100 + random.int(400)));
  }
  return undefined;
}

/** Allocate, CreatePermission and ChannelBind toward the sink; true once all three succeeded. */
async function allocate(
  endpoint: TurnEndpoint,
  keys: TurnSessionKeys,
  sink: TransportAddress,
  random: FuzzRandom,
): Promise<boolean> {
  const T = StunAttributeType;
  const allocation = await endpoint.request(
    request(StunMethod.Allocate, [[T.RequestedTransport, '11000000']], random),
    keys,
  );
  if (allocation?.class !== 'success' && allocation?.code !== 437) return false;
  const permission = request(StunMethod.CreatePermission, [], random);
  const permit = await endpoint.request(
    { ...permission, attributes: [[T.XorPeerAddress, peerHex(sink, permission.transactionId)]] },
    keys,
  );
  if (permit?.class !== 'success') return false;
  const bind = request(StunMethod.ChannelBind, [], random);
  const bound = await endpoint.request(
    {
      ...bind,
      attributes: [
        [T.ChannelNumber, `${boundChannel.toString(16)}0000`],
        [T.XorPeerAddress, peerHex(sink, bind.transactionId)],
      ],
    },
    keys,
  );
  endpoint.allocated = bound?.class === 'success';
  return endpoint.allocated;
}

/** A UDP peer on loopback that relayed traffic reaches; it echoes some back so Data indications flow. */
async function startSink(): Promise<{ address: TransportAddress; close(): void }> {
  const socket = createSocket('udp4');
  let count = 0;
  socket.on('message', (data, from) => {
    if (++count % 8 === 0) socket.send(data, from.port, from.address);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: { family: 'IPv4', address: '127.0.0.1', port: socket.address().port },
    close: () => socket.close(),
  };
}

/** True when `bytes` is exactly one stream frame (RFC 8656 §10.1 framing): the TCP stream stays in step. */
function wholeFrame(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
  const first = bytes[0] as number;
  if (first < 0x40) return bytes.length === 20 + length;
  if (first < 0x80) return bytes.length === ((4 + length + 3) & ~3);
  return false;
}

function caseBytes(item: TurnCase, keys: TurnSessionKeys | undefined): Uint8Array {
  return item.stun ? renderStun(item.stun, keys) : Buffer.from(item.raw ?? '', 'base64');
}

export interface TurnDoorSetup {
  readonly transport: TurnTransport;
  readonly workers: number;
}

/** Replays recorded cases on one fresh session and one stranger, marker after each. */
let replays = 0;

export async function replayTurn(
  run: DoorRun,
  transport: TurnTransport,
  cases: readonly TurnCase[],
): Promise<void> {
  replays++;
  const sink = await startSink();
  const server: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: run.server.turnPort };
  const random = run.random.fork();
  const session = new TurnEndpoint(transport, '127.0.0.250', server);
  const stranger = new TurnEndpoint(transport, '127.0.0.250', server);
  let nonce: string | undefined;
  try {
    for (const item of cases) {
      const allocated = item.phase === 'allocated';
      const endpoint = allocated ? session : stranger;
      if (endpoint.closed) await endpoint.open();
      if (!endpoint.keys || (allocated && !endpoint.allocated)) {
        nonce ??= await fetchNonce(endpoint, random, () => false);
        const user = turnUsers[allocated ? replays % sessionUsers : sessionUsers + (replays % 8)];
        if (!nonce || !user) continue;
        endpoint.keys = { username: user.user, password: user.pass, realm: turnRealm, nonce };
        if (allocated) await allocate(endpoint, endpoint.keys, sink.address, random);
      }
      const bytes = caseBytes(item, endpoint.keys);
      endpoint.send(bytes);
      if (transport === 'tcp' && !wholeFrame(bytes)) {
        // The stream's framing is gone: let the server read it, then start a new connection.
        await new Promise((resolve) => setTimeout(resolve, 50));
        endpoint.close();
      } else if (endpoint.allocated) {
        const marker = await endpoint.request(
          request(StunMethod.Refresh, [[StunAttributeType.Lifetime, u32hex(600)]], random),
          endpoint.keys,
        );
        if (marker?.class !== 'success') endpoint.allocated = false;
      } else await new Promise((resolve) => setTimeout(resolve, 20));
      run.replayed++;
      if (run.server.exited()) return;
    }
  } finally {
    await release([session, stranger], random);
    sink.close();
  }
}

/**
 * Gives allocations back (Refresh 0) and closes: the fixed users' quotas (10 each) must not fill up, and the
 * server's memory should return to its baseline. Strangers too: a mutated Allocate may have succeeded.
 */
async function release(endpoints: TurnEndpoint[], random: FuzzRandom): Promise<void> {
  await Promise.all(
    endpoints.map((endpoint) =>
      !endpoint.closed && endpoint.keys
        ? endpoint.request(
            request(StunMethod.Refresh, [[StunAttributeType.Lifetime, u32hex(0)]], random),
            endpoint.keys,
          )
        : undefined,
    ),
  );
  for (const endpoint of endpoints) endpoint.close();
}

export async function runTurnDoor(run: DoorRun, setup: TurnDoorSetup): Promise<void> {
  const ring = new CaseRing<TurnCase>(2048);
  run.recent = () => ring.recent();
  const sink = await startSink();
  const server: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: run.server.turnPort };
  const maxValue = setup.transport === 'udp' ? 1_300 : 8_000;
  const nonces = new Map<string, string>();
  const endpoints: TurnEndpoint[] = [];
  let connections = 0;
  const stats = { allocations: 0, confirmed: 0, unconfirmed: 0 };

  const ready = async (
    endpoint: TurnEndpoint,
    random: FuzzRandom,
    userIndex: number,
    wantAllocation: boolean,
  ): Promise<boolean> => {
    if (endpoint.closed) {
      try {
        await endpoint.open();
      } catch {
        return false;
      }
      endpoint.keys = undefined;
    }
    if (!endpoint.keys) {
      let nonce = nonces.get(endpoint.localAddress);
      if (!nonce) {
        nonce = await fetchNonce(endpoint, random, run.stopped);
        if (!nonce) return false;
        nonces.set(endpoint.localAddress, nonce);
      }
      const user = turnUsers[userIndex] as { user: string; pass: string };
      endpoint.keys = { username: user.user, password: user.pass, realm: turnRealm, nonce };
    }
    if (!wantAllocation || endpoint.allocated) return true;
    const allocated = await allocate(endpoint, endpoint.keys, sink.address, random);
    if (allocated) stats.allocations++;
    return allocated;
  };

  const worker = async (index: number, random: FuzzRandom): Promise<void> => {
    const localAddress = `127.0.0.${2 + index}`;
    const session = new TurnEndpoint(setup.transport, localAddress, server);
    const stranger = new TurnEndpoint(setup.transport, localAddress, server);
    endpoints.push(session, stranger);
    let failures = 0;
    while (!run.stopped()) {
      const userIndex = connections++ % sessionUsers;
      if (
        !(await ready(session, random, userIndex, true)) ||
        !(await ready(stranger, random, sessionUsers + (index % 8), false))
      ) {
        if (++failures % 50 === 0)
          run.note(`${setup.transport} worker ${index}: setup failed ${failures} times`);
        if (setup.transport === 'tcp' || failures % 5 === 0) session.close();
        await new Promise((resolve) => setTimeout(resolve, 50 + random.int(200)));
        continue;
      }
      const taken = run.take(batchSize);
      if (taken === 0) return;
      const sessionFrames: Uint8Array[] = [];
      const strangerFrames: Uint8Array[] = [];
      let broken = { session: false, stranger: false };
      for (let i = 0; i < taken; i++) {
        const item = turnCase(sink.address, random, maxValue, setup.transport === 'tcp');
        ring.push(item);
        const isSession = item.phase === 'allocated';
        const bytes = caseBytes(item, (isSession ? session : stranger).keys);
        if (setup.transport === 'udp') (isSession ? session : stranger).send(bytes);
        else {
          (isSession ? sessionFrames : strangerFrames).push(bytes);
          // A frame that breaks the stream's framing ends what that connection can carry.
          if (!wholeFrame(bytes)) {
            broken = isSession ? { ...broken, session: true } : { ...broken, stranger: true };
            if (isSession) {
              // The rest of the batch is not sent: hand those cases back.
              run.giveBack(taken - i - 1);
              break;
            }
          }
        }
      }
      if (setup.transport === 'tcp') {
        session.sendStream(sessionFrames, random);
        stranger.sendStream(strangerFrames, random);
        if (broken.stranger) setTimeout(() => stranger.close(), 50);
        if (broken.session) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          session.close();
          continue;
        }
      }
      const marker = await session.request(
        request(StunMethod.Refresh, [[StunAttributeType.Lifetime, u32hex(600)]], random),
        session.keys,
      );
      if (marker?.class === 'success') {
        stats.confirmed++;
        failures = 0;
        continue;
      }
      stats.unconfirmed++;
      // 437: a case removed the allocation (Refresh 0); 438: the nonce went stale. Set up again.
      if (marker?.code === 438 && marker.nonce) nonces.set(localAddress, marker.nonce);
      if (marker?.code === 438) session.keys = undefined;
      session.allocated = false;
      if (!marker && setup.transport === 'tcp') session.close();
    }
  };

  try {
    await Promise.all(Array.from({ length: setup.workers }, (_, index) => worker(index, run.random.fork())));
  } finally {
    run.note(
      `${stats.allocations} allocations set up; ${stats.confirmed} batches confirmed by a signed Refresh, ` +
        `${stats.unconfirmed} not (a case removed the allocation, or the answer was lost)`,
    );
    // Give the allocations back before closing, so the server's memory can return to its baseline.
    await release(endpoints, run.random);
    sink.close();
  }
}
