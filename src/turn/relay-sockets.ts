/** UDP relay sockets bound in the configured port range (RFC 8656 §7.2 step 8: the server picks the port). */
import { createSocket, type Socket } from 'node:dgram';
import type { LookupOneOptions } from 'node:dns';
import type { IpFamily, TransportAddress } from '../stun/index.ts';
import type { RelaySocket } from './allocation.ts';
import type { RelayAllocator } from './options.ts';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The server only ever sends to IP literals (addresses from received datagrams or from STUN attributes), so
 * name resolution is skipped: Node's default lookup defers every send by a tick to "resolve" a literal.
 */
export function literalLookup(
  address: string,
  _family: number | LookupOneOptions,
  callback: (error: null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

/** Tries this many random ports before giving up with 508 Insufficient Capacity. */
const PORT_ATTEMPTS = 64;

/** Told when handling a peer's datagram threw (the datagram is dropped); `source` is the peer's IP address. */
export type RelayInputErrorHandler = (error: unknown, source: string) => void;

class UdpRelaySocket implements RelaySocket {
  readonly address: TransportAddress;
  onPacket: (data: Uint8Array, address: string, port: number) => void = () => {};
  readonly #socket: Socket;
  #closed = false;

  constructor(socket: Socket, address: TransportAddress, onInputError: RelayInputErrorHandler) {
    this.#socket = socket;
    this.address = address;
    // The input boundary (input-boundary.ts) for what peers send: a handler that throws costs one datagram.
    socket.on('message', (data, remote) => {
      try {
        this.onPacket(data, remote.address, remote.port);
      } catch (error) {
        onInputError(error, remote.address);
      }
    });
    // A peer's ICMP error surfaces here (e.g. ECONNREFUSED); the allocation stays.
    socket.on('error', () => {});
  }

  send(data: Uint8Array, address: string, port: number): void {
    if (!this.#closed) this.#socket.send(data, port, address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

function bindAt(
  family: IpFamily,
  address: string,
  port: number,
  onInputError: RelayInputErrorHandler,
): Promise<UdpRelaySocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: family === 'IPv4' ? 'udp4' : 'udp6',
      ipv6Only: family === 'IPv6',
      lookup: literalLookup as never,
    });
    const onError = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      const bound = { family, address, port: socket.address().port };
      resolve(new UdpRelaySocket(socket, bound, onInputError));
    });
  });
}

export class UdpRelayAllocator implements RelayAllocator {
  readonly families: ReadonlySet<IpFamily>;
  readonly #addresses: Partial<Record<IpFamily, string>>;
  readonly #range: PortRange;
  readonly #onInputError: RelayInputErrorHandler;

  constructor(
    addresses: Partial<Record<IpFamily, string>>,
    range: PortRange,
    onInputError: RelayInputErrorHandler,
  ) {
    this.#addresses = addresses;
    this.#range = range;
    this.#onInputError = onInputError;
    this.families = new Set(Object.keys(addresses) as IpFamily[]);
  }

  async open(family: IpFamily, evenPort: boolean): Promise<RelaySocket> {
    const { min, max } = this.#range;
    const span = max - min + 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < Math.min(PORT_ATTEMPTS, span); attempt++) {
      let port = min + Math.floor(Math.random() * span);
      if (evenPort && port % 2 === 1) port = port + 1 > max ? port - 1 : port + 1;
      if (port < min) continue;
      try {
        return await this.openAt(family, port);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no free relay port in ${min}-${max}`, { cause: lastError });
  }

  openAt(family: IpFamily, port: number): Promise<RelaySocket> {
    const address = this.#addresses[family];
    if (address === undefined) return Promise.reject(new Error(`no ${family} relay address`));
    if (port < this.#range.min || port > this.#range.max)
      return Promise.reject(new Error('port outside the range'));
    return bindAt(family, address, port, this.#onInputError);
  }
}
