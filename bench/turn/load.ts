/**
 * Load generators for the TURN benchmark: closed-loop (a window of requests or packets in flight, topped up
 * when loss shrinks it), bounded in time. They speak STUN through src/stun, so they work against any server.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  addAttribute,
  createStunMessage,
  type DecodedStunMessage,
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  longTermKey,
  NONCE,
  REALM,
  type StunMessage,
  StunMethod,
  type TransportAddress,
  USERNAME,
} from '../../src/stun/index.ts';
import {
  CHANNEL_NUMBER,
  encodeChannelData,
  LIFETIME,
  REQUESTED_TRANSPORT,
  XOR_PEER_ADDRESS,
  XOR_RELAYED_ADDRESS,
} from '../../src/turn/index.ts';

export const credentials = { username: 'bench', password: 'benchpass', realm: 'bench' };
const key = longTermKey(credentials.username, credentials.realm, credentials.password);

async function openSocket(): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

let transactionCounter = 0;
function freshId(): Uint8Array {
  const id = new Uint8Array(12);
  const view = new DataView(id.buffer);
  view.setUint32(0, 0xbe7c0000 + (process.pid & 0xffff));
  view.setUint32(8, ++transactionCounter);
  return id;
}

/** Runs `tick` every 20 ms until `durationMs` is over; resolves with how many operations completed. */
function runFor(durationMs: number, tick: () => void, counted: () => number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setInterval(tick, 20);
    setTimeout(() => {
      clearInterval(timer);
      resolve(counted());
    }, durationMs);
  });
}

/** Binding requests answered per second, `window` in flight on each of `sockets` sockets. */
export async function benchBinding(
  port: number,
  durationMs: number,
  sockets = 8,
  window = 64,
): Promise<number> {
  let completed = 0;
  let running = true;
  const clients = await Promise.all(Array.from({ length: sockets }, openSocket));
  const ticks = clients.map((socket) => {
    const request = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request', freshId()));
    let progress = 0;
    let seen = 0;
    socket.on('message', () => {
      completed++;
      progress++;
      if (running) socket.send(request, port, '127.0.0.1');
    });
    for (let k = 0; k < window; k++) socket.send(request, port, '127.0.0.1');
    // Lost datagrams shrink the window; a socket that made no progress for a tick gets it back.
    return () => {
      if (progress === seen) for (let k = 0; k < window; k++) socket.send(request, port, '127.0.0.1');
      seen = progress;
    };
  });
  const count = await runFor(
    durationMs,
    () => {
      for (const tick of ticks) tick();
    },
    () => completed,
  );
  running = false;
  for (const socket of clients) socket.close();
  return count;
}

/** A client that cannot go on: its request unanswered after 4 tries, its 5-tuple busy or no port free. */
class ClientGaveUp extends Error {}

/**
 * One request/response at a time on a socket, retransmitted every 500 ms; after 4 tries (2 s) it gives up
 * with ClientGaveUp, so an unanswered request never stalls a bounded run.
 */
function transact(
  socket: Socket,
  port: number,
  message: StunMessage,
  signed: boolean,
): Promise<DecodedStunMessage> {
  const bytes = encodeStunMessage(message, signed ? { integrityKey: key } : {});
  return new Promise((resolve, reject) => {
    let tries = 1;
    const onMessage = (packet: Buffer) => {
      const response = decodeStunMessage(packet);
      // A late answer to an earlier retransmission is not this transaction's.
      if (Buffer.compare(response.transactionId, message.transactionId) !== 0) return;
      clearInterval(timer);
      socket.off('message', onMessage);
      resolve(response);
    };
    const timer = setInterval(() => {
      if (tries++ >= 4) {
        clearInterval(timer);
        socket.off('message', onMessage);
        reject(new ClientGaveUp());
        return;
      }
      socket.send(bytes, port, '127.0.0.1');
    }, 500);
    socket.on('message', onMessage);
    socket.send(bytes, port, '127.0.0.1');
  });
}

function sign(message: StunMessage, nonce: string): StunMessage {
  addAttribute(message, USERNAME, credentials.username);
  addAttribute(message, REALM, credentials.realm);
  return addAttribute(message, NONCE, nonce);
}

/** Allocate with long-term credentials: unauthenticated first (401), then with the nonce, as clients do. */
async function allocate(socket: Socket, port: number, state: { nonce: string }): Promise<TransportAddress> {
  for (;;) {
    const request = addAttribute(
      createStunMessage(StunMethod.Allocate, 'request', freshId()),
      REQUESTED_TRANSPORT,
      17,
    );
    const signed = state.nonce !== '';
    const response = await transact(socket, port, signed ? sign(request, state.nonce) : request, signed);
    const relayed = getAttribute(response, XOR_RELAYED_ADDRESS);
    // coturn with its relay ports used up (after the allocation phase) answers success with 0.0.0.0:0.
    if (response.class === 'success' && relayed?.port === 0) throw new ClientGaveUp();
    if (response.class === 'success' && relayed) return relayed;
    const code = getAttribute(response, ERROR_CODE)?.code;
    // coturn keeps a deleted allocation's 5-tuple busy for a while, and the OS may hand the same source port
    // to the next socket (437); 508: relay ports exhausted for now. That client gives up, the next one goes on.
    if (code === 437 || code === 508) throw new ClientGaveUp();
    if (code !== 401 && code !== 438) throw new Error(`Allocate failed with ${code}`);
    state.nonce = getAttribute(response, NONCE) ?? '';
  }
}

async function signedRequest(
  socket: Socket,
  port: number,
  state: { nonce: string },
  build: () => StunMessage,
  acceptMismatch = false,
): Promise<DecodedStunMessage> {
  for (;;) {
    const response = await transact(socket, port, sign(build(), state.nonce), true);
    if (response.class === 'success') return response;
    const code = getAttribute(response, ERROR_CODE)?.code;
    if (code === 437 && acceptMismatch) return response;
    if (code !== 438)
      throw new Error(`request failed with ${code} ${getAttribute(response, ERROR_CODE)?.reason ?? ''}`);
    state.nonce = getAttribute(response, NONCE) ?? '';
  }
}

/** Refresh with lifetime 0; RFC 8656 §8: a 437 answer means it is already gone, which is success. */
function deleteAllocation(
  socket: Socket,
  port: number,
  state: { nonce: string },
): Promise<DecodedStunMessage> {
  return signedRequest(
    socket,
    port,
    state,
    () => addAttribute(createStunMessage(StunMethod.Refresh, 'request', freshId()), LIFETIME, 0),
    true,
  );
}

/**
 * Allocations per second, as new clients make them: each allocation comes from a fresh socket (a new
 * 5-tuple) that starts unauthenticated (401), allocates with the nonce, then deletes it (Refresh lifetime 0).
 */
export async function benchAllocations(port: number, durationMs: number, clients = 32): Promise<number> {
  let completed = 0;
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const socket = await openSocket();
      const state = { nonce: '' };
      try {
        await allocate(socket, port, state);
        if (running) completed++;
        await deleteAllocation(socket, port, state);
      } catch (error) {
        if (!(error instanceof ClientGaveUp)) throw error;
      } finally {
        socket.close();
      }
    }
  });
  const count = await runFor(
    durationMs,
    () => {},
    () => completed,
  );
  running = false;
  await Promise.all(loops);
  return count;
}

/** A socket with an allocation, trying new sockets while a 5-tuple is still busy or unanswered. */
async function allocatedClient(port: number) {
  for (let attempt = 0; ; attempt++) {
    const socket = await openSocket();
    const state = { nonce: '' };
    try {
      return { socket, state, relayed: await allocate(socket, port, state) };
    } catch (error) {
      socket.close();
      if (!(error instanceof ClientGaveUp) || attempt >= 50) throw error;
      // Give the server time to free the relay ports of the allocations just deleted.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * ChannelData relay: pairs of allocations bound to each other's relayed address; A sends `size`-byte
 * ChannelData, the server relays it from A's relay to B's relay and hands it to B as ChannelData.
 * Returns the packets B received.
 */
export async function benchRelay(
  port: number,
  durationMs: number,
  pairs = 4,
  window = 64,
  size = 1200,
): Promise<number> {
  let completed = 0;
  let running = true;
  const all: Socket[] = [];
  const ticks: (() => void)[] = [];
  for (let p = 0; p < pairs; p++) {
    const { socket: a, state: stateA, relayed: relayA } = await allocatedClient(port);
    const { socket: b, state: stateB, relayed: relayB } = await allocatedClient(port);
    all.push(a, b);
    const bind = (peer: TransportAddress) => () => {
      const request = createStunMessage(StunMethod.ChannelBind, 'request', freshId());
      addAttribute(request, CHANNEL_NUMBER, 0x4000);
      return addAttribute(request, XOR_PEER_ADDRESS, peer);
    };
    await signedRequest(a, port, stateA, bind(relayB));
    await signedRequest(b, port, stateB, bind(relayA));
    // Each packet carries a sequence number, so the sender knows how many are in flight (sent minus the
    // newest received; loopback does not reorder) and replaces lost ones at once. Packets rotate through
    // a pool, since a send may still reference its buffer after the call returns.
    const pool = Array.from({ length: window * 4 }, () => encodeChannelData(0x4000, new Uint8Array(size)));
    let sent = 0;
    let newest = 0;
    const topUp = () => {
      while (running && sent - newest < window) {
        const packet = pool[sent % pool.length] as Uint8Array;
        new DataView(packet.buffer, packet.byteOffset).setUint32(4, ++sent);
        a.send(packet, port, '127.0.0.1');
      }
    };
    b.on('message', (data: Buffer) => {
      if (data.length !== size + 4) return;
      completed++;
      newest = Math.max(newest, data.readUInt32BE(4));
      topUp();
    });
    let newestAtTick = 0;
    ticks.push(() => {
      // Nothing arrived for a whole tick: what is in flight was lost; count it as gone and send anew.
      if (newest === newestAtTick) newest = sent;
      newestAtTick = newest;
      topUp();
    });
    topUp();
  }
  const count = await runFor(
    durationMs,
    () => {
      for (const tick of ticks) tick();
    },
    () => completed,
  );
  running = false;
  for (const socket of all) socket.close();
  return count;
}
