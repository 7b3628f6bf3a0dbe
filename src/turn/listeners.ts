/** The sockets clients reach the TURN server on: UDP, TCP and TLS (RFC 8656 §3.1, "turn:" and "turns:"). */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { IpFamily, TransportAddress } from '../stun/index.ts';
import type { ClientConnection } from './allocation.ts';
import { ChannelDataError, StreamFramer } from './channel-data.ts';
import type { TurnServerCore } from './core.ts';
import { literalLookup } from './relay-sockets.ts';

/** A stream connection idle this long without an allocation is closed. */
const STREAM_IDLE_MS = 30_000;

/** Data queued to a slow stream client beyond this is dropped, as UDP would drop it. */
const MAX_STREAM_BACKLOG = 1 << 20;

/**
 * A dual-stack socket ('::') sees IPv4 clients as IPv4-mapped IPv6 (::ffff:192.0.2.1); STUN reports them as
 * the IPv4 addresses they are (XOR-MAPPED-ADDRESS, peer policy, rate limits by source).
 */
function clientAddress(family: IpFamily, address: string, port: number): TransportAddress {
  if (family === 'IPv6' && address.startsWith('::ffff:') && address.includes('.')) {
    return { family: 'IPv4', address: address.slice(7), port };
  }
  return { family, address, port };
}

class UdpClient implements ClientConnection {
  readonly protocol = 'udp';
  readonly remote: TransportAddress;
  readonly key: string;
  readonly #socket: UdpSocket;
  /** The address as the socket knows it, to answer on. */
  readonly #address: string;

  constructor(socket: UdpSocket, family: IpFamily, address: string, port: number) {
    this.#socket = socket;
    this.#address = address;
    this.remote = clientAddress(family, address, port);
    this.key = `u|${address}|${port}`;
  }

  send(packet: Uint8Array): void {
    this.#socket.send(packet, this.remote.port, this.#address);
  }
}

export function listenUdp(core: TurnServerCore, host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 << 20,
      sendBufferSize: 4 << 20,
      lookup: literalLookup as never,
    });
    socket.once('error', reject);
    socket.on('message', (packet, remote) => {
      // The input boundary (input-boundary.ts): whatever the handler throws costs this datagram only.
      try {
        core.handleClientPacket(new UdpClient(socket, remote.family, remote.address, remote.port), packet);
      } catch (error) {
        core.inputErrors.record('udp', error, remote.address);
      }
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      socket.on('error', (error) => core.options.logger?.warn({ err: error }, 'TURN UDP socket error'));
      resolve(socket);
    });
  });
}

class StreamClient implements ClientConnection {
  readonly protocol: 'tcp' | 'tls';
  readonly remote: TransportAddress;
  readonly key: string;
  readonly #socket: Socket;

  constructor(socket: Socket, protocol: 'tcp' | 'tls', id: number) {
    this.#socket = socket;
    this.protocol = protocol;
    const family = socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4';
    this.remote = clientAddress(family, socket.remoteAddress ?? '', socket.remotePort ?? 0);
    this.key = `${protocol}|${id}`;
  }

  send(packet: Uint8Array): void {
    if (this.#socket.writableLength > MAX_STREAM_BACKLOG || this.#socket.destroyed) return;
    this.#socket.write(packet);
  }
}

let nextConnectionId = 1;

function serveStream(core: TurnServerCore, socket: Socket, protocol: 'tcp' | 'tls', open: Set<Socket>): void {
  open.add(socket);
  socket.setNoDelay(true);
  const client = new StreamClient(socket, protocol, nextConnectionId++);
  const framer = new StreamFramer();
  socket.on('data', (chunk: Buffer) => {
    // The input boundary (input-boundary.ts): whatever the handler throws costs this connection only, its
    // framing being past trusting.
    try {
      let frames: Uint8Array[];
      try {
        frames = framer.push(chunk);
      } catch (error) {
        if (!(error instanceof ChannelDataError)) throw error;
        // RFC 8656 §12.5: a stream that is neither STUN nor ChannelData cannot be resynchronized.
        core.options.counters.droppedPackets++;
        socket.destroy();
        return;
      }
      for (const frame of frames) core.handleClientPacket(client, frame);
    } catch (error) {
      core.inputErrors.record(protocol, error, client.remote.address);
      socket.destroy();
    }
  });
  // A connection that stays idle without an allocation only holds resources: close it (RFC 8656 §5 ties an
  // allocation's life to its connection; nothing else is worth keeping a connection for).
  socket.setTimeout(STREAM_IDLE_MS, () => {
    if (!core.allocations.has(client.key)) socket.destroy();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    open.delete(socket);
    try {
      core.connectionClosed(client);
    } catch (error) {
      core.inputErrors.record(protocol, error, client.remote.address);
    }
  });
}

export interface TlsCredentials {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** A TCP or TLS listener and its open connections. */
export interface StreamListener {
  readonly server: Server;
  readonly port: number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** A TCP listener, or TLS when credentials are given. */
export function listenStream(
  core: TurnServerCore,
  host: string,
  port: number,
  maxConnections: number,
  tls?: TlsCredentials,
): Promise<StreamListener> {
  const open = new Set<Socket>();
  const server = tls
    ? createTlsServer({ cert: tls.cert, key: tls.key }, (socket) => serveStream(core, socket, 'tls', open))
    : createTcpServer((socket) => serveStream(core, socket, 'tcp', open));
  server.maxConnections = maxConnections;
  // A TLS handshake that fails is the client's problem, not the server's.
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of open) socket.destroy();
          }),
      });
    });
  });
}
