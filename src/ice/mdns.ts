/**
 * Just enough multicast DNS (RFC 6762) to resolve the `<uuid>.local` names browsers put in host candidates:
 * a bounded codec for A/AAAA queries and their answers (RFC 1035 §4.1), and a resolver that asks on
 * 224.0.0.251:5353. Chromium's responder answers by multicast only (not to a legacy unicast port), so the
 * resolver shares port 5353 (SO_REUSEADDR, as every mDNS querier does) and joins the group to hear answers.
 * Failure to resolve is never fatal: the ICE agent then learns the browser's address as peer-reflexive.
 */
import { createSocket, type Socket } from 'node:dgram';
import { formatIp } from '../stun/index.ts';
import { ByteReader, ByteWriter, TruncatedInputError } from '../util/index.ts';
import { DatagramBoundary } from './datagram-boundary.ts';

export const MDNS_ADDRESS = '224.0.0.251';
export const MDNS_PORT = 5353;
const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
/** RFC 1035 §2.3.4: names are at most 255 octets, labels at most 63. */
const maxNameLength = 255;
const maxRecords = 64;

export class DnsDecodeError extends Error {
  override readonly name = 'DnsDecodeError';
}

export interface DnsAddressRecord {
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly address: string;
  readonly ttl: number;
}

function writeName(writer: ByteWriter, name: string): void {
  const labels = name.replace(/\.$/, '').split('.');
  let length = 1;
  for (const label of labels) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`bad DNS label in ${name}`);
    length += bytes.length + 1;
    writer.u8(bytes.length).bytes(bytes);
  }
  if (length > maxNameLength) throw new RangeError(`DNS name too long: ${name}`);
  writer.u8(0);
}

/**
 * A query for the A or AAAA record of `name`, class IN (RFC 1035 §4.1.1, §4.1.2). RFC 6762 §18.1:
 * multicast queries carry ID 0. One question per query: Chromium's responder answers no other kind.
 */
export function encodeMdnsQuery(name: string, type: 'A' | 'AAAA', id = 0): Uint8Array {
  const writer = new ByteWriter(64);
  writer.u16(id).u16(0).u16(1).u16(0).u16(0).u16(0);
  writeName(writer, name);
  writer.u16(type === 'A' ? TYPE_A : TYPE_AAAA).u16(CLASS_IN);
  return writer.finish();
}

/** Reads a possibly compressed name (RFC 1035 §4.1.4); pointers must go backwards, so no loop is possible. */
function readName(message: Uint8Array, reader: ByteReader): string {
  const labels: string[] = [];
  let length = 0;
  let cursor = reader;
  let limit = reader.offset;
  for (;;) {
    const size = cursor.u8('label length');
    if (size === 0) break;
    if ((size & 0xc0) === 0xc0) {
      const pointer = ((size & 0x3f) << 8) | cursor.u8('name pointer');
      if (pointer >= limit) throw new DnsDecodeError('name pointer does not point backwards');
      limit = pointer;
      cursor = new ByteReader(message, pointer);
      continue;
    }
    if (size > 63) throw new DnsDecodeError('bad label length');
    length += size + 1;
    if (length > maxNameLength) throw new DnsDecodeError('name too long');
    labels.push(new TextDecoder().decode(cursor.bytes(size, 'label')));
  }
  return labels.join('.');
}

/** Address records (A, AAAA) among the answers and additional records of a response; others are skipped. */
export function decodeMdnsResponse(message: Uint8Array): { id: number; records: DnsAddressRecord[] } {
  try {
    const reader = new ByteReader(message);
    const id = reader.u16('id');
    const flags = reader.u16('flags');
    if ((flags & 0x8000) === 0) throw new DnsDecodeError('not a response');
    const questions = reader.u16('qdcount');
    const answers = reader.u16('ancount');
    const authority = reader.u16('nscount');
    const additional = reader.u16('arcount');
    if (questions + answers + authority + additional > maxRecords)
      throw new DnsDecodeError('too many records');
    for (let i = 0; i < questions; i++) {
      readName(message, reader);
      reader.skip(4, 'question type and class');
    }
    const records: DnsAddressRecord[] = [];
    for (let i = 0; i < answers + authority + additional; i++) {
      const name = readName(message, reader);
      const type = reader.u16('type');
      // RFC 6762 §10.2: the top bit of the class is the cache-flush bit.
      const recordClass = reader.u16('class') & 0x7fff;
      const ttl = reader.u32('ttl');
      const data = reader.bytes(reader.u16('rdlength'), 'rdata');
      if (recordClass !== CLASS_IN) continue;
      if (type === TYPE_A && data.length === 4) {
        records.push({ name, type: 'A', address: data.join('.'), ttl });
      } else if (type === TYPE_AAAA && data.length === 16) {
        records.push({ name, type: 'AAAA', address: formatIp(data), ttl });
      }
    }
    return { id, records };
  } catch (error) {
    if (error instanceof TruncatedInputError) throw new DnsDecodeError(error.message);
    throw error;
  }
}

export interface MdnsResolverOptions {
  /** How long to wait for an answer (default 1500 ms); the query is repeated once halfway. */
  readonly timeoutMs?: number | undefined;
  /** Counts (and reports) answers whose handling threw: the transport's, or else one of its own. */
  readonly boundary?: DatagramBoundary;
}

/** Resolves `.local` names with multicast queries on a lazily bound socket. */
export class MdnsResolver {
  readonly #timeoutMs: number;
  readonly #boundary: DatagramBoundary;
  /** Waiting callers by lower-case name. */
  readonly #pending = new Map<string, ((address: string | undefined) => void)[]>();
  readonly #cache = new Map<string, Promise<string | undefined>>();
  #socket: Promise<Socket | undefined> | undefined;

  constructor(options: MdnsResolverOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#boundary = options.boundary ?? new DatagramBoundary();
  }

  #bind(port: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: 'udp4', reuseAddr: true });
      socket.once('error', () => resolve(undefined));
      socket.bind(port, () => {
        socket.on('error', () => {});
        socket.unref();
        try {
          // RFC 6762 §11: mDNS packets are sent with IP TTL 255.
          socket.setMulticastTTL(255);
          socket.addMembership(MDNS_ADDRESS);
        } catch {
          // No multicast here: legacy unicast answers (RFC 6762 §6.7) may still come to the query's port.
        }
        socket.on('message', (message) => {
          try {
            this.#receive(new Uint8Array(message));
          } catch (error) {
            this.#boundary.caught(error);
          }
        });
        resolve(socket);
      });
    });
  }

  #open(): Promise<Socket | undefined> {
    this.#socket ??= this.#bind(MDNS_PORT).then((socket) => socket ?? this.#bind(0));
    return this.#socket;
  }

  #receive(message: Uint8Array): void {
    let records: DnsAddressRecord[];
    try {
      records = decodeMdnsResponse(message).records;
    } catch {
      return;
    }
    for (const record of records) {
      const name = record.name.toLowerCase();
      const waiting = this.#pending.get(name);
      if (!waiting) continue;
      this.#pending.delete(name);
      for (const resolve of waiting) resolve(record.address);
    }
  }

  /** The address of `name`, or undefined when nobody answered in time or multicast is unavailable. */
  resolve(name: string): Promise<string | undefined> {
    const normalized = name.toLowerCase().replace(/\.$/, '');
    let result = this.#cache.get(normalized);
    if (!result) {
      result = this.#query(normalized);
      this.#cache.set(normalized, result);
      // Only answers are remembered: a name nobody answered for may be answered later.
      void result.then((address) => {
        if (address === undefined) this.#cache.delete(normalized);
      });
    }
    return result;
  }

  async #query(name: string): Promise<string | undefined> {
    const socket = await this.#open();
    if (!socket) return undefined;
    const queries = [encodeMdnsQuery(name, 'A'), encodeMdnsQuery(name, 'AAAA')];
    return new Promise((resolve) => {
      const send = () => {
        for (const query of queries) socket.send(query, MDNS_PORT, MDNS_ADDRESS, () => {});
      };
      const retry = setTimeout(send, this.#timeoutMs / 2);
      const timeout = setTimeout(() => finish(undefined), this.#timeoutMs);
      retry.unref();
      timeout.unref();
      const finish = (address: string | undefined) => {
        clearTimeout(retry);
        clearTimeout(timeout);
        const waiting = this.#pending.get(name)?.filter((r) => r !== finish);
        if (waiting?.length) this.#pending.set(name, waiting);
        else this.#pending.delete(name);
        resolve(address);
      };
      this.#pending.set(name, [...(this.#pending.get(name) ?? []), finish]);
      send();
    });
  }

  close(): void {
    for (const waiting of [...this.#pending.values()]) for (const resolve of waiting) resolve(undefined);
    this.#pending.clear();
    void this.#socket?.then((socket) => socket?.close());
  }
}
