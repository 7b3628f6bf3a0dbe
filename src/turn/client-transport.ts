/** Sockets from a TURN client to its server: UDP, TCP or TLS ("turn:" / "turns:", RFC 7065). */
import { createSocket } from 'node:dgram';
import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { ChannelDataError, StreamFramer } from './channel-data.ts';

export interface TurnClientTransport {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  /** Sends one whole STUN or ChannelData message (padded by the caller on streams). */
  send(packet: Uint8Array): void;
  /** Receives whole STUN and ChannelData messages from the server. */
  onPacket: (packet: Uint8Array) => void;
  /** Called once when the transport fails or closes. */
  onClose: (error?: Error) => void;
  close(): void;
}

export interface TurnServerAddress {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'udp' | 'tcp' | 'tls';
  /** For TLS: trust anchors, server name, and so on (node:tls options). */
  readonly tls?: ConnectionOptions;
}

/** Opens a transport to a TURN server; resolves once it can carry requests. */
export function connectTurnTransport(server: TurnServerAddress): Promise<TurnClientTransport> {
  return server.protocol === 'udp' ? connectUdp(server) : connectStream(server);
}

function connectUdp(server: TurnServerAddress): Promise<TurnClientTransport> {
  const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
  const transport: TurnClientTransport = {
    protocol: 'udp',
    send: (packet) => socket.send(packet),
    onPacket: () => {},
    onClose: () => {},
    close: () => socket.close(),
  };
  socket.on('message', (packet) => transport.onPacket(packet));
  socket.on('close', () => transport.onClose());
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(server.port, server.host, () => {
      socket.off('error', reject);
      // ICMP errors (the server went away) surface as socket errors; the transactions time out on their own.
      socket.on('error', () => {});
      resolve(transport);
    });
  });
}

function connectStream(server: TurnServerAddress): Promise<TurnClientTransport> {
  const tls = server.protocol === 'tls';
  const socket: Socket = tls
    ? connectTls({ host: server.host, port: server.port, servername: server.host, ...server.tls })
    : connectTcp({ host: server.host, port: server.port });
  socket.setNoDelay(true);
  const framer = new StreamFramer();
  let closedWith: Error | undefined;
  const transport: TurnClientTransport = {
    protocol: tls ? 'tls' : 'tcp',
    send: (packet) => {
      if (!socket.destroyed) socket.write(packet);
    },
    onPacket: () => {},
    onClose: () => {},
    close: () => socket.destroy(),
  };
  socket.on('data', (chunk: Buffer) => {
    let frames: Uint8Array[];
    try {
      frames = framer.push(chunk);
    } catch (error) {
      if (!(error instanceof ChannelDataError)) throw error;
      closedWith = error;
      socket.destroy();
      return;
    }
    for (const frame of frames) transport.onPacket(frame);
  });
  socket.on('error', (error) => {
    closedWith = error;
  });
  socket.on('close', () => transport.onClose(closedWith));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve(transport);
    });
  });
}
