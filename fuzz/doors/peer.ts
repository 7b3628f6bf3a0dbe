/**
 * The peer door: a live Node RTCPeerConnection (A) attacked on its ICE port over real loopback UDP while
 * its data channel to a second one (B) stays open. Garbage; STUN Binding requests signed with A's ICE
 * password or not, from B's address and from strangers, with truncated, extended, repeated and flipped
 * attributes; DTLS records with bad lengths, epochs and versions, garbage in the current epoch, handshake
 * messages after the handshake, coalesced, and B's own records replayed or flipped; SCTP packets sealed
 * with B's DTLS keys from B's address, so they reach A's SCTP parser (unknown chunks with each pair of
 * action bits, INIT in established state, DATA far off the cumulative TSN, FORWARD-TSN, RE-CONFIG with
 * the right request sequence too, SACKs with absurd gap blocks, bad and right CRC32c); DCEP opens with bad
 * label lengths on new streams. Crashes: uncaughtException and unhandledRejection (listeners here only),
 * errors the datagram boundary caught (an uncaughtException without it), and probes A no longer echoes
 * while its association is up; A ending its association over bad input is noted, the pair replaced.
 * Forged DATA stays 32768 TSNs ahead of B's, so B's own data flows; forgeries that may break a pair run
 * last on it. Seams: pc.sctp.transport.iceTransport.agent, and DtlsConnection.prototype.send, wrapped
 * for the run, which yields B's connection and what both peers' SCTP packets say.
 *
 *   node --expose-gc --import tsx -e "import('./fuzz/doors/peer.ts').then(async (m) =>
 *     console.log(await m.runPeerDoor({ cases: 20000, seed: 1, log: console.log })))"
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { DtlsConnection } from '../../src/dtls/index.ts';
import { DatagramBoundary, type IceSocket, NodeIceTransport } from '../../src/ice/index.ts';
import { type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { crc32c } from '../../src/sctp/index.ts';
import { shortTermKey } from '../../src/stun/index.ts';
import { type DoorOptions, type DoorReport, FuzzRandom } from '../door.ts';

const BATCH = 48;
const PROBE_EVERY = 4096;
const PROBE_TIMEOUT_MS = 3000;
const CASES_PER_PAIR = 50_000;
const DESTRUCTIVE_CASES = 256;
/** Forged DATA TSNs start this far ahead of B's next TSN, so B's own data never collides with them. */
const FAR_AHEAD = 0x8000;

/** Real UDP on 127.0.0.1 only: the one address this door may target, and no multicast DNS. */
class LoopbackTransport extends NodeIceTransport {
  constructor() {
    super({ mdns: false, reportDatagramError: () => {} });
  }
  override interfaces() {
    return super.interfaces().filter((address) => address.internal && address.family === 'IPv4');
  }
}

interface Pair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  transports: LoopbackTransport[];
  channelA: RTCDataChannel;
  bSocket: IceSocket;
  aPort: number;
  ice: { aUfrag: string; aKey: Uint8Array; bUfrag: string; bKey: Uint8Array };
  dtlsB?: DtlsConnection;
  /** B's outgoing datagrams (DTLS records), for replays and bit flips. */
  captured: Uint8Array[];
  ports: [number, number];
  /** What B's packets show: the tag A expects, whether I-DATA was negotiated (RFC 8260). */
  tagA: number;
  interleaved: boolean;
  /** B's next TSN once B's DATA was seen; A's next expected RE-CONFIG request sequence (RFC 6525 §5.2.1). */
  bNextTsn?: number;
  nextResetSequence?: number;
  aCumAck: number;
  nextStream: number;
  /** The ABORT, SHUTDOWN or SHUTDOWN ACK A sent, which ends its association. */
  aEnded?: string;
  echoes: Map<string, () => void>;
  /** B announces fewer inbound streams than it uses, as any peer may. */
  fewInbound: boolean;
}

type Send = { via: 'b' | 'stranger' | 'sealed'; bytes: Uint8Array };

// ---- Draws from the door's seeded generator (a run repeats exactly for its seed), and bytes ----

let rng = new FuzzRandom(0);
const int = (n: number) => rng.int(n);
const chance = (p: number) => rng.chance(p);
const pick = <T>(items: readonly T[]): T => rng.pick(items);
const bytes = (n: number) => rng.bytes(n);
const u32 = () => int(2 ** 32);
/** A plain Uint8Array (whose slice() copies, unlike a Buffer's). */
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
/** Big-endian fields: `widths` has one digit (bytes) per value, e.g. pack('112', type, flags, length). */
function pack(widths: string, ...values: number[]): Uint8Array {
  const out = new Uint8Array([...widths].reduce((sum, width) => sum + Number(width), 0));
  let at = 0;
  values.forEach((value, i) => {
    const width = Number(widths[i]);
    for (let k = width - 1; k >= 0; k--, value = Math.floor(value / 256)) out[at + k] = value & 0xff;
    at += width;
  });
  return out;
}
const padding = (n: number) => new Uint8Array(((n + 3) & ~3) - n);
/** A type-length-value with 4-byte padding, as STUN attributes, SCTP chunks and their parameters are. */
const tlv = (head: Uint8Array, value: Uint8Array) => concat(head, value, padding(value.length));
function flipBits(data: Uint8Array, from = 0, to = data.length): Uint8Array {
  const out = data.slice();
  const end = Math.min(to, out.length);
  for (let k = 1 + int(3); k > 0 && end > from; k--) out[from + int(end - from)]! ^= 1 << int(8);
  return out;
}
function mutate(data: Uint8Array): Uint8Array {
  const cut = int(data.length + 1);
  return pick([() => flipBits(data), () => data.subarray(0, cut), () => concat(data, bytes(1 + int(64)))])();
}

// ---- Garbage: first bytes in every RFC 7983 range (STUN, DTLS, TURN channels, RTP) and beyond ----

function garbage(): Send {
  const data = bytes(rng.edgyLength(1500));
  if (data.length > 0) data[0] = pick([int(4), 20 + int(44), 64 + int(16), 128 + int(64), int(256)]);
  return { via: chance(0.7) ? 'b' : 'stranger', bytes: data };
}

// ---- STUN (RFC 8489) with the ICE attributes (RFC 8445 §7.2.2) ----

type Attribute = { type: number; value: Uint8Array; declared?: number };

/** A STUN message, with MESSAGE-INTEGRITY (RFC 8489 §14.5) under `key` and FINGERPRINT (§14.7). */
function stunMessage(type: number, body: Uint8Array, key: Uint8Array | undefined, fingerprint: boolean) {
  const transactionId = bytes(12);
  const header = (extra: number) => concat(pack('224', type, body.length + extra, 0x2112a442), transactionId);
  let message = concat(header(0), body);
  if (key) {
    const signed = concat(header(24), body);
    message = concat(signed, pack('22', 0x0008, 20), createHmac('sha1', key).update(signed).digest());
  }
  if (fingerprint) {
    message.set(pack('2', message.length - 20 + 8), 2);
    message = concat(message, pack('224', 0x8028, 4, (crc32(message) ^ 0x5354554e) >>> 0));
  }
  return message;
}

function stun(pair: Pair): Send {
  const fromB = chance(0.75);
  const { aUfrag, bUfrag, aKey, bKey } = pair.ice;
  const username = chance(0.9) ? `${aUfrag}:${bUfrag}` : new TextDecoder().decode(bytes(int(12)));
  const attributes: Attribute[] = [
    { type: 0x0006, value: new TextEncoder().encode(username) },
    { type: 0x0024, value: pack('4', int(2 ** 31)) },
    { type: chance(0.8) ? 0x8029 : 0x802a, value: bytes(8) },
  ];
  if (chance(0.3)) attributes.push({ type: 0x0025, value: new Uint8Array(0) });
  for (let n = int(3); n > 0; n--) {
    const at = int(attributes.length);
    const target = attributes[at]!;
    const length = target.value.length;
    [
      () => (target.declared = length + 1 + int(600)), // runs past the message
      () => (target.declared = int(length + 1)), // the rest is read as attributes
      () => attributes.push({ ...target }),
      () => (target.value = flipBits(length ? target.value : bytes(1))),
      () => (target.value = bytes(pick([0, 1, 3, 5, 7, 9, 16, 600]))), // values of the wrong size
      // Unknown attributes, comprehension-required or optional; response attributes in a request.
      () => attributes.splice(at, 0, { type: chance(0.5) ? int(0x10000) : 0x8000, value: bytes(int(40)) }),
      () => attributes.push({ type: pick([0x0020, 0x0009, 0x0001, 0x000a, 0x0014]), value: bytes(int(24)) }),
      () => attributes.splice(at, 1),
    ][int(8)]!();
  }
  const body = concat(
    ...attributes.map((a) => tlv(pack('22', a.type, a.declared ?? a.value.length), a.value)),
  );
  const type = chance(0.8) ? 0x0001 : pick([0x0011, 0x0101, 0x0111, 0x0003, int(0x4000)]);
  // A's password signs only from B's address (a stranger with it would be B on a second path);
  // responses are signed with B's, as A checks them (RFC 8489 §9.1.4).
  const key = !fromB || chance(0.2) ? pick([bKey, undefined]) : type & 0x0100 ? bKey : aKey;
  let message: Uint8Array = stunMessage(type, chance(0.1) ? concat(body, bytes(64)) : body, key, chance(0.9));
  if (chance(0.15)) message = mutate(message);
  return { via: fromB ? 'b' : 'stranger', bytes: message };
}

// ---- DTLS records (RFC 6347 §4.1) ----

function handshakeFragment(): Uint8Array {
  const body = bytes(int(200));
  const type = pick([0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 20, int(256)]);
  const length = chance(0.7) ? body.length : int(0x1000000);
  const offset = chance(0.7) ? 0 : int(0x1000000);
  const fragmentLength = chance(0.8) ? body.length : int(0x1000000);
  return concat(pack('13233', type, length, int(chance(0.7) ? 8 : 0x10000), offset, fragmentLength), body);
}

function dtlsRecord(): Uint8Array {
  const contentType = chance(0.9) ? 20 + int(4) : int(256);
  // ChangeCipherSpec, alert, handshake; else an explicit nonce, ciphertext and tag that do not authenticate.
  const makers = [
    () => (chance(0.7) ? Uint8Array.of(1) : bytes(int(4))),
    () => bytes(chance(0.7) ? 2 : int(8)),
    () => concat(handshakeFragment(), ...(chance(0.2) ? [handshakeFragment()] : [])),
  ];
  const fragment = makers[contentType - 20]?.() ?? bytes(8 + int(300));
  const version = chance(0.85) ? 0xfefd : pick([0xfeff, 0xfefc, 0x0303, int(0x10000)]);
  const epoch = chance(0.9) ? int(2) : pick([2, 0xffff, int(0x10000)]);
  const n = fragment.length;
  const length = chance(0.75) ? n : pick([0, n + 1, Math.max(0, n - 1), 0xffff, int(0x10000)]);
  return concat(pack('12262', contentType, version, epoch, int(2 ** 48), length), fragment);
}

function dtls(pair: Pair): Send {
  let data: Uint8Array;
  if (pair.captured.length > 0 && chance(0.3)) {
    // B's own records: replayed (the replay window drops them), bit-flipped (AEAD fails), header changed.
    const original = pick(pair.captured);
    data = chance(0.3) ? original : chance(0.6) ? flipBits(original, 13) : flipBits(original, 0, 13);
  } else {
    data = concat(...Array.from({ length: 1 + (chance(0.25) ? int(4) : 0) }, dtlsRecord));
    if (chance(0.1)) data = data.subarray(0, int(data.length + 1));
  }
  return { via: chance(0.9) ? 'b' : 'stranger', bytes: data };
}

// ---- SCTP chunks (RFC 9260 §3.2), sealed with B's DTLS keys ----

function chunk(type: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  const value = concat(...parts);
  return tlv(pack('112', type, flags, 4 + value.length), value);
}

/** A DATA or I-DATA chunk A accepts without B's own TSNs ever meeting it, or one A drops as old or too far. */
function dataChunk(pair: Pair, stream: number, ppid: number, payload: Uint8Array, flags = 3, sequence = 0) {
  const next = pair.bNextTsn!;
  const near = pick([next - 1 - int(2 ** 30), next + 0x10000 + int(2 ** 30)]);
  const tsn = (chance(0.85) ? next + FAR_AHEAD + int(0x7000) : near) >>> 0;
  if (!pair.interleaved) return chunk(0, flags, pack('4224', tsn, stream, sequence, ppid), payload);
  // RFC 8260 §2.1: the first fragment carries the PPID, the others their FSN.
  return chunk(64, flags, pack('42244', tsn, stream, 0, sequence, flags & 2 ? ppid : int(4)), payload);
}

function fuzzStream(pair: Pair): number {
  const id = chance(0.7) ? 2 + int(64) : int(0x10000);
  return id === pair.channelA.id ? id + 2 : id;
}

/** The kinds of chunk, each drawing what it needs; `next` is B's next TSN. */
const chunkKinds: ((pair: Pair, next: number) => Uint8Array)[] = [
  // Unknown types with each pair of action bits (RFC 9260 §3.2): stop, stop and report, skip, skip and report.
  () => chunk((int(4) << 6) | (15 + int(49)), int(256), bytes(int(120))),
  // INIT in established state and its relatives.
  () => chunk(pick([1, 2, 10, 11]), 0, pack('44224', int(2 ** 31), u32(), 9, 9, u32()), bytes(int(40))),
  (pair) => {
    // SACK with absurd gap blocks and duplicates, at or below the cumulative ack B really sent.
    const [gaps, dups] = [chance(0.25) ? int(400) : int(8), int(20)];
    const counts = chance(0.8) ? [gaps, dups] : [int(0x10000), int(0x10000)];
    const cumulative = (pair.aCumAck - (chance(0.5) ? 0 : int(1000))) >>> 0;
    const blocks = Array.from({ length: gaps }, () => pack('22', int(0x10000), int(0x10000)));
    return chunk(3, 0, pack('4422', cumulative, u32(), counts[0]!, counts[1]!), ...blocks, bytes(4 * dups));
  },
  // HEARTBEAT (A echoes its info), stray HEARTBEAT ACKs, ERROR with causes of any length.
  () => chunk(4 + int(2), 0, pack('22', chance(0.8) ? 1 : int(9), 20), bytes(pick([16, int(900)]))),
  () => chunk(9, 0, ...Array.from({ length: int(4) }, () => concat(pack('22', int(20), int(64)), bytes(9)))),
  (pair) => {
    // DATA on fuzz streams with every PPID, flag and size (an empty one A aborts for: RFC 9260 §6.2).
    const [payload, flags] = [bytes(chance(0.0005) ? 0 : 1 + int(120)), chance(0.6) ? 3 : int(16)];
    const ppid = pick([50, 51, 52, 53, 54, 56, 57, u32()]);
    return dataChunk(pair, fuzzStream(pair), ppid, payload, flags, pick([0, int(0x10000)]));
  },
  (pair, next) => {
    // A FORWARD-TSN that does not move A's cumulative TSN (the kind that does runs last), any entries.
    const entries = chance(0.9) ? (pair.interleaved ? 8 : 4) * int(20) : int(80);
    return chunk(pair.interleaved ? 194 : 192, 0, pack('4', (next - 1 - int(2 ** 20)) >>> 0), bytes(entries));
  },
  () => {
    // RE-CONFIG with every parameter type, bad sequence numbers and lengths (RFC 6525 §4).
    const parameters = Array.from({ length: 1 + int(3) }, () => {
      const body = bytes(chance(0.7) ? 12 + 2 * int(8) : int(40));
      const type = chance(0.9) ? 13 + int(6) : int(0x10000);
      return tlv(pack('22', type, chance(0.8) ? 4 + body.length : int(0x10000)), body);
    });
    return chunk(130, 0, ...parameters);
  },
  (pair, next) => {
    // An SSN reset with the right request sequence (RFC 6525 §5.2.2), for streams that are mostly no
    // channel's; the probe's is never among them.
    const streams = Array.from({ length: 1 + int(chance(0.1) ? 600 : 8) }, () => fuzzStream(pair));
    const list = pack('2'.repeat(streams.length), ...streams);
    const sequence = pair.nextResetSequence!;
    return chunk(130, 0, tlv(pack('22444', 13, 16 + list.length, sequence, u32(), (next - 1) >>> 0), list));
  },
  // The DATA and FORWARD-TSN kinds not negotiated: A aborts (RFC 8260 §2.1), so only rarely.
  (pair) => chunk(chance(0.001) ? pick(pair.interleaved ? [0, 192] : [64, 194]) : 11, 0, bytes(int(40))),
  // A chunk length below 4, past the packet, or odd.
  () => concat(pack('112', int(256), 0, pick([0, 1, 3, 5, 0xffff, int(0x10000)])), bytes(int(60))),
  // ABORT and SHUTDOWN COMPLETE with the T bit (so B's tag, which A refuses); a stray SHUTDOWN ACK.
  () => chunk(pick([6, 14, 8]), 1, bytes(int(3) * 4)),
];

type Crc = 'right' | 'bad' | 'zero';
function sctpPacket(pair: Pair, chunks: Uint8Array[], tag = pair.tagA, crc: Crc = 'right'): Uint8Array {
  const packet = concat(pack('2244', pair.ports[0], pair.ports[1], tag, 0), ...chunks);
  if (crc === 'zero') return packet;
  const value = crc === 'right' ? crc32c(packet) : (crc32c(packet) ^ (1 + int(2 ** 31))) >>> 0;
  new DataView(packet.buffer).setUint32(8, value, true);
  return packet;
}

function sctp(pair: Pair): Send {
  const kinds = Array.from({ length: 1 + (chance(0.3) ? int(4) : 0) }, () => pick(chunkKinds));
  const chunks = kinds.map((kind) => kind(pair, pair.bNextTsn!));
  const tag = chance(0.93) ? pair.tagA : pick([0, u32()]);
  const crc = chance(0.85) ? 'right' : pick<Crc>(['bad', 'zero']);
  return { via: 'sealed', bytes: sctpPacket(pair, chunks, tag, crc) };
}

// ---- DCEP (RFC 8832 §5) on new streams, and deprecated partial messages on the probe's ----

function dcep(pair: Pair): Send {
  const label = bytes(int(40));
  const protocol = bytes(int(20));
  const declared = (n: number) => (chance(0.6) ? n : pick([0xffff, n + 1 + int(100), int(n + 1)]));
  const type = chance(0.9) ? 3 : pick([2, int(256)]);
  const channelType = pick([0x00, 0x01, 0x02, 0x80, 0x81, 0x82, int(256)]);
  const fields = pack('11242', type, channelType, int(0x10000), u32(), declared(label.length));
  let message = concat(fields, pack('2', declared(protocol.length)), label, protocol);
  if (chance(0.15)) message = message.subarray(0, 1 + int(12));
  const stream = chance(0.8) ? pair.nextStream++ % 0x10000 : fuzzStream(pair);
  if (chance(0.05)) {
    // RFC 8831 §6.6 (deprecated): unordered pieces with a partial PPID on the probe channel's stream.
    const piece = dataChunk(pair, pair.channelA.id ?? 0, pick([52, 54]), bytes(1 + int(200)), 7);
    return { via: 'sealed', bytes: sctpPacket(pair, [piece]) };
  }
  const open = dataChunk(pair, stream, 50, message, chance(0.3) ? 7 : 3);
  return { via: 'sealed', bytes: sctpPacket(pair, [open]) };
}

/** Forgeries that may end or desynchronize the association legitimately: the last cases of a pair. */
function destructive(pair: Pair): Send {
  const cumulative = (pair.bNextTsn! - 1) >>> 0;
  const ahead = (n: number) => (cumulative + 1 + int(n)) >>> 0;
  const choices = [
    () => chunk(6, 0, pack('22', int(14), 8), bytes(4)),
    () => chunk(7, 0, pack('4', (pair.aCumAck - int(4)) >>> 0)),
    () => chunk(pair.interleaved ? 194 : 192, 0, pack('4', ahead(2 ** 31)), bytes(8 * int(20))),
    () => chunk(3, 0, pack('4422', (pair.aCumAck + 1 + int(1000)) >>> 0, 0, 0, 0)),
    () => chunk(pair.interleaved ? 64 : 0, int(16), pack('4', ahead(64)), bytes(13 + int(80))),
  ];
  return { via: 'sealed', bytes: sctpPacket(pair, [pick(choices)()]) };
}

/** Sees the SCTP packets both peers send; may rewrite B's (its INIT's inbound streams). */
let observe: ((connection: DtlsConnection, packet: Uint8Array) => Uint8Array | undefined) | undefined;
/** Forgeries pass the hook too; they must not move what is learnt of B's real packets. */
let forging = false;

function watch(pair: Pair, connection: DtlsConnection, packet: Uint8Array): Uint8Array | undefined {
  if (forging || packet.length < 16) return;
  const fromB = connection.role === 'client';
  if (fromB && pair.fewInbound && (packet[12] === 1 || packet[12] === 2)) {
    // B's INIT and INIT ACK announce 16 inbound streams while B sends on all (RFC 9260 §5.1.1 allows it).
    const rewritten = concat(packet.subarray(0, 8), new Uint8Array(4), packet.subarray(12));
    rewritten.set(pack('2', 16), 26);
    new DataView(rewritten.buffer).setUint32(8, crc32c(rewritten), true);
    return rewritten;
  }
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (fromB) {
    pair.dtlsB = connection;
    pair.ports = [view.getUint16(0), view.getUint16(2)];
    pair.tagA = view.getUint32(4);
  }
  for (let at = 12; at + 8 <= packet.length; ) {
    const type = packet[at]!;
    const length = view.getUint16(at + 2);
    const word = view.getUint32(at + 4);
    if (length < 4) break;
    if (fromB && (type === 0 || type === 64)) {
      pair.interleaved = type === 64;
      // B's first DATA (its DCEP ACK) has its initial TSN, where RE-CONFIG request sequences start.
      pair.nextResetSequence ??= word;
      const next = (word + 1) >>> 0;
      if (pair.bNextTsn === undefined || ((next - pair.bNextTsn) | 0) > 0) pair.bNextTsn = next;
    } else if (fromB && type === 3) {
      pair.aCumAck = word;
    } else if (fromB && type === 130 && view.getUint16(at + 4) === 13 && at + 12 <= packet.length) {
      pair.nextResetSequence = (view.getUint32(at + 8) + 1) >>> 0;
    } else if (!fromB && type === 130 && view.getUint16(at + 4) === 16 && at + 16 <= packet.length) {
      // A performed (1) or deferred (6) the request with this sequence: the next one follows it.
      if ([1, 6].includes(view.getUint32(at + 12)))
        pair.nextResetSequence = (view.getUint32(at + 8) + 1) >>> 0;
    } else if (!fromB && type >= 6 && type <= 8) {
      const causeLength = type === 6 && length >= 8 ? view.getUint16(at + 6) : 0;
      const text = new TextDecoder().decode(packet.subarray(at + 8, at + 4 + causeLength));
      const cause = causeLength >= 4 ? ` cause ${view.getUint16(at + 4)} "${text}"` : '';
      pair.aEnded ??= `${['ABORT', 'SHUTDOWN', 'SHUTDOWN ACK'][type - 6]}${cause}`;
    }
    at += (length + 3) & ~3;
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const late = sleep(ms, undefined, { ref: false }).then(() =>
    Promise.reject(new Error(`${what}: not in ${ms} ms`)),
  );
  return Promise.race([promise, late]);
}

async function connectPair(fewInbound: boolean): Promise<Pair> {
  const transports = [new LoopbackTransport(), new LoopbackTransport()];
  const [a, b] = transports.map(
    (iceTransport) => new RTCPeerConnection({}, { iceTransport, includeLoopback: true, ipv6: false }),
  ) as [RTCPeerConnection, RTCPeerConnection];
  for (const [from, to] of [[a, b] as const, [b, a] as const]) {
    from.addEventListener('icecandidate', (event) => {
      const { candidate } = event as unknown as { candidate: RTCIceCandidateInit | null };
      to.addIceCandidate(candidate ?? undefined).catch(() => {});
    });
  }
  const known: Partial<Pair> = { a, b, transports, captured: [], ports: [5000, 5000], tagA: 0, aCumAck: 0 };
  const pair = { ...known, fewInbound, interleaved: false, nextStream: 1000, echoes: new Map() } as Pair;
  // Watching from the start: B's first DATA tells its initial TSN.
  observe = (connection, packet) => watch(pair, connection, packet);
  pair.channelA = a.createDataChannel('probe');
  const incoming = new Promise<RTCDataChannel>((resolve) => {
    b.ondatachannel = (event) => resolve(event.channel);
  });
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  const channelB = await within(incoming, 10_000, 'the probe channel');
  const opened = new Promise((resolve) => pair.channelA.addEventListener('open', resolve, { once: true }));
  if (pair.channelA.readyState !== 'open') await within(opened, 10_000, 'the probe channel opening');
  channelB.onmessage = (event) => channelB.send((event as MessageEvent).data as string);
  pair.channelA.onmessage = (event) => {
    // A forged partial message (PPID 52/54) may legitimately prefix the probe: its end is matched.
    const text = String((event as MessageEvent).data);
    for (const [token, done] of pair.echoes) if (text.endsWith(token)) done();
  };
  const agentB = b.sctp!.transport.iceTransport.agent;
  // Nomination may still be pending (RFC 8445 §8.1.1); a succeeded pair joins the same sockets already.
  const path = agentB.selectedPair ?? agentB.pairs.find((candidates) => candidates.state === 'succeeded');
  if (!path) throw new Error('B has no working candidate pair');
  pair.bSocket = path.local.socket;
  pair.aPort = path.remote.candidate.port;
  const [aIce, bIce] = [a, b].map((pc) => pc.sctp!.transport.iceTransport.getLocalParameters());
  const [aUfrag, bUfrag] = [aIce!.usernameFragment, bIce!.usernameFragment];
  pair.ice = { aUfrag, bUfrag, aKey: shortTermKey(aIce!.password), bKey: shortTermKey(bIce!.password) };
  const send = agentB.send.bind(agentB);
  agentB.send = (datagram: Uint8Array) => {
    if (!forging && pair.captured.length < 64) pair.captured.push(datagram.slice());
    return send(datagram);
  };
  if (!(await probe(pair)) || !pair.dtlsB || pair.bNextTsn === undefined)
    throw new Error('a fresh pair does not echo');
  return pair;
}

let probes = 0;
function probe(pair: Pair): Promise<boolean> {
  const token = `probe-${++probes}`;
  const echoed = new Promise<boolean>((resolve) => pair.echoes.set(token, () => resolve(true)));
  if (pair.channelA.readyState !== 'open') return Promise.resolve(false);
  pair.channelA.send(token);
  return within(echoed, PROBE_TIMEOUT_MS, 'probe')
    .catch(() => false)
    .finally(() => pair.echoes.delete(token));
}

function closePair(pair: Pair): void {
  observe = undefined;
  for (const closable of [pair.a, pair.b, ...pair.transports]) closable.close();
}

/** Linux's count of UDP datagrams dropped for a full receive buffer (0 elsewhere). */
function udpReceiveDrops(): number {
  const snmp = existsSync('/proc/net/snmp') ? readFileSync('/proc/net/snmp', 'utf8').split('\n') : [];
  const [names, values] = snmp.filter((line) => line.startsWith('Udp:')).map((line) => line.split(/\s+/));
  return Number(values?.[names?.indexOf('RcvbufErrors') ?? -1] ?? 0);
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

const stackOf = (error: unknown) =>
  error instanceof Error ? `${error.stack?.split('\n').slice(0, 4).join(' | ')}` : String(error);
/** Errors of one kind thrown at one place are one finding, whatever their message says. */
const findingOf = (error: unknown) =>
  error instanceof Error ? `${error.name} ${error.stack?.split('\n')[1]?.trim()}` : 'non-error';

export async function runPeerDoor(options: DoorOptions): Promise<DoorReport> {
  rng = new FuzzRandom(options.seed);
  probes = 0;
  const started = performance.now();
  const deadline = started + (options.deadlineMs ?? Number.POSITIVE_INFINITY);
  /** Repeated notes are counted, their first occurrence kept. */
  const tallies = new Map<string, [count: number, first: string]>();
  const note = (kind: string, text: string) =>
    tallies.set(kind, [(tallies.get(kind)?.[0] ?? 0) + 1, tallies.get(kind)?.[1] ?? text]);
  let [crashes, current] = [0, 'setup'];
  const crash = (what: string) => (error: unknown) => {
    crashes++;
    note(`${what} ${findingOf(error)}`, `CRASH: ${what} at ${current}: ${stackOf(error)}`);
  };
  const [onUncaught, onRejection] = [crash('uncaughtException'), crash('unhandledRejection')];
  process.on('uncaughtException', onUncaught).on('unhandledRejection', onRejection);
  // The boundary keeps the process up, but what it catches is a decoder or handler that threw where it
  // should have returned a typed error: a crash all the same, recorded with where it came from.
  const caught = DatagramBoundary.prototype.caught;
  const onCaught = crash('error caught by the datagram boundary');
  DatagramBoundary.prototype.caught = function (this: DatagramBoundary, error: unknown) {
    onCaught(error);
    caught.call(this, error);
  };
  const dtlsSend = DtlsConnection.prototype.send;
  DtlsConnection.prototype.send = function (this: DtlsConnection, data: Uint8Array) {
    dtlsSend.call(this, observe?.(this, data) ?? data);
  };
  const strangers = [createSocket('udp4'), createSocket('udp4')];
  for (const socket of strangers)
    await new Promise((bound) => socket.on('error', () => {}).bind(0, '127.0.0.1', () => bound(0)));
  const rssBeforeBytes = rss();
  const dropsBefore = udpReceiveDrops();
  const generators: Record<string, (pair: Pair) => Send> = { garbage, stun, dtls, sctp, dcep, destructive };
  // Batches of each kind, in percent.
  const weights = { garbage: 12, stun: 23, dtls: 20, sctp: 33, dcep: 12 };
  const plan = Object.entries(weights).flatMap(([kind, weight]) => Array<string>(weight).fill(kind));
  const counts = new Map<string, number>();
  let [done, pairs] = [0, 0];
  let pair: Pair | undefined;
  try {
    while (done < options.cases && performance.now() < deadline) {
      pair = await connectPair(pairs % 2 === 1);
      pairs++;
      const pairEnd = done + Math.min(CASES_PER_PAIR, options.cases - done);
      const destructiveFrom = pairEnd - Math.min(DESTRUCTIVE_CASES, Math.floor((pairEnd - done) / 10));
      let lastProbe = done;
      while (done < pairEnd && performance.now() < deadline) {
        const destroying = done >= destructiveFrom;
        const category = destroying ? 'destructive' : pick(plan);
        const generate = generators[category]!;
        const size = Math.min(BATCH, (destroying ? pairEnd : destructiveFrom) - done);
        current = `cases ${done}..${done + size - 1} (${category})`;
        forging = true;
        try {
          for (let i = 0; i < size; i++) {
            const { via, bytes: data } = generate(pair);
            if (via === 'b') pair.bSocket.send(data, '127.0.0.1', pair.aPort);
            else if (via === 'stranger') pick(strangers).send(data, pair.aPort, '127.0.0.1');
            else if (pair.dtlsB?.state === 'connected' && data.length <= 16384) pair.dtlsB.send(data);
          }
        } finally {
          forging = false;
        }
        counts.set(category, (counts.get(category) ?? 0) + size);
        done += size;
        // Two turns of the loop: A reads what was sent, and answers.
        for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
        if (destroying) continue;
        const due = done - lastProbe >= PROBE_EVERY || done >= destructiveFrom;
        if (!pair.aEnded && pair.channelA.readyState === 'open' && !due) continue;
        lastProbe = done;
        if (!pair.aEnded && pair.channelA.readyState === 'open' && (await probe(pair))) continue;
        if (pair.aEnded || pair.channelA.readyState !== 'open') {
          const what = pair.aEnded ?? 'a reset of the probe channel';
          note(`ended ${what}`, `association aborted by ${current} (expected: A sent ${what} for bad input)`);
        } else {
          crashes++;
          const states = [pair.a, pair.b].map(
            (p) => `${p.connectionState}/${p.iceConnectionState}/${p.sctp?.state}`,
          );
          note('hang', `HANG: no echo after ${current}, association up (A ${states[0]}, B ${states[1]})`);
        }
        break;
      }
      if (pair.aEnded && done >= destructiveFrom)
        note(`destructive ${pair.aEnded}`, `destructive cases: A sent ${pair.aEnded}`);
      closePair(pair);
      pair = undefined;
      options.log?.(`peer door: ${done}/${options.cases} cases, ${pairs} pair(s), ${crashes} crash(es)`);
    }
  } finally {
    if (pair) closePair(pair);
    for (const socket of strangers) socket.close();
    // The closes (ABORT, close_notify, sockets) finish before RSS is read.
    await new Promise((resolve) => setTimeout(resolve, 200));
    DtlsConnection.prototype.send = dtlsSend;
    DatagramBoundary.prototype.caught = caught;
    process.off('uncaughtException', onUncaught).off('unhandledRejection', onRejection);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssAfterBytes = rss();
  const notes = [
    `${done} cases in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s), ${pairs} pair(s), ${probes} probes, seed ${options.seed}`,
    `cases by kind: ${[...counts].map(([kind, count]) => `${kind} ${count}`).join(', ')}`,
    `UDP datagrams this host dropped for full receive buffers meanwhile: ${udpReceiveDrops() - dropsBefore}`,
  ];
  for (const [count, first] of tallies.values()) notes.push(count > 1 ? `${first} (${count} times)` : first);
  return { door: 'peer', cases: done, crashes, rssBeforeBytes, rssAfterBytes, notes };
}
