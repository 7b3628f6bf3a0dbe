/**
 * Structure-aware mutation of STUN/TURN traffic (RFC 8489, RFC 8656): a valid message of every method,
 * then attributes truncated, extended, repeated, bit-flipped, retyped, dropped and reordered, and most
 * cases signed AFTER mutating (MESSAGE-INTEGRITY and FINGERPRINT computed over the mutated message) so
 * the mutated attributes get past authentication to the handlers. Also ChannelData with bad channels,
 * lengths and padding, unknown methods and classes, and byte-level damage after encoding.
 */
import {
  encodeStunMessage,
  longTermKey,
  StunAttributeType,
  StunMethod,
  type TransportAddress,
} from '../src/stun/index.ts';
import { XOR_PEER_ADDRESS } from '../src/turn/index.ts';
import type { StunTemplate, TurnCase } from './cases.ts';
import type { FuzzRandom } from './door.ts';

/** What a session signs with, and where its relayed traffic goes. */
export interface TurnSessionKeys {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
}

/** The channel every allocated session binds to the peer sink in its setup. */
export const boundChannel = 0x4000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Buffer.from(text, 'hex');
const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
};
const u16pair = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt16BE(value & 0xffff);
  return out;
};

const attributeTypes = Object.values(StunAttributeType);

function peerAddress(peer: TransportAddress, transactionId: Uint8Array, random: FuzzRandom): Uint8Array {
  const roll = random.int(10);
  if (roll === 0)
    return XOR_PEER_ADDRESS.encode({ family: 'IPv6', address: '::1', port: peer.port }, transactionId);
  if (roll === 1)
    return XOR_PEER_ADDRESS.encode(
      {
        family: 'IPv4',
        address: random.pick(['10.0.0.1', '0.0.0.0', '255.255.255.255', '169.254.1.1', '127.0.0.2']),
        port: random.int(65536),
      },
      transactionId,
    );
  return XOR_PEER_ADDRESS.encode(peer, transactionId);
}

/** The attributes of a valid message of `method`, before authentication. */
function validAttributes(
  method: number,
  transactionId: Uint8Array,
  peer: TransportAddress,
  random: FuzzRandom,
): [number, Uint8Array][] {
  const T = StunAttributeType;
  switch (method) {
    case StunMethod.Allocate: {
      const out: [number, Uint8Array][] = [
        [T.RequestedTransport, Buffer.from([random.chance(0.9) ? 17 : 6, 0, 0, 0])],
      ];
      if (random.chance(0.3)) out.push([T.Lifetime, u32(random.pick([0, 1, 600, 3600, 0xffffffff]))]);
      if (random.chance(0.2)) out.push([T.DontFragment, new Uint8Array(0)]);
      if (random.chance(0.2)) out.push([T.EvenPort, Buffer.from([random.pick([0, 0x80])])]);
      if (random.chance(0.2))
        out.push([T.RequestedAddressFamily, Buffer.from([random.pick([1, 2, 3]), 0, 0, 0])]);
      if (random.chance(0.1)) out.push([T.ReservationToken, random.bytes(8)]);
      if (random.chance(0.1)) out.push([T.AdditionalAddressFamily, Buffer.from([2, 0, 0, 0])]);
      return out;
    }
    case StunMethod.Refresh:
      return [[T.Lifetime, u32(random.pick([600, 600, 600, 0, 1, 3600, 0xffffffff]))]];
    case StunMethod.CreatePermission: {
      const out: [number, Uint8Array][] = [];
      const count = 1 + random.int(3);
      for (let i = 0; i < count; i++) out.push([T.XorPeerAddress, peerAddress(peer, transactionId, random)]);
      return out;
    }
    case StunMethod.ChannelBind:
      return [
        [T.ChannelNumber, u16pair(random.chance(0.7) ? boundChannel + random.int(4) : random.int(0x10000))],
        [T.XorPeerAddress, peerAddress(peer, transactionId, random)],
      ];
    case StunMethod.Send:
    case StunMethod.Data: {
      const out: [number, Uint8Array][] = [
        [T.XorPeerAddress, peerAddress(peer, transactionId, random)],
        [T.Data, random.bytes(random.edgyLength(1200))],
      ];
      if (random.chance(0.2)) out.push([T.DontFragment, new Uint8Array(0)]);
      return out;
    }
    case StunMethod.Binding:
      return random.chance(0.3) ? [[T.Software, Buffer.from('dyad-fuzz')]] : [];
    default:
      return random.chance(0.5) ? [[random.pick(attributeTypes), random.bytes(random.edgyLength(64))]] : [];
  }
}

/** One mutation of the attribute list, in place. */
function mutateAttributes(attributes: [number, Uint8Array][], random: FuzzRandom, maxValue: number): void {
  const index = attributes.length > 0 ? random.int(attributes.length) : -1;
  const target = attributes[index];
  switch (random.int(9)) {
    case 0: // truncated (0-3 bytes most often: decoders read fixed fields first)
      if (target) target[1] = target[1].subarray(0, random.edgyLength(Math.max(0, target[1].length - 1)));
      return;
    case 1: // extended
      if (target) target[1] = Buffer.concat([target[1], random.bytes(random.edgyLength(64))]);
      return;
    case 2: // repeated
      if (target) attributes.splice(random.int(attributes.length + 1), 0, [target[0], target[1]]);
      return;
    case 3: // bits flipped
      if (target && target[1].length > 0) {
        const value = Buffer.from(target[1]);
        for (let flips = 1 + random.int(3); flips > 0; flips--) {
          const at = random.int(value.length);
          value[at] = (value[at] as number) ^ (1 << random.int(8));
        }
        target[1] = value;
      }
      return;
    case 4: // replaced by random bytes of an edgy length
      if (target) target[1] = random.bytes(random.edgyLength(maxValue));
      return;
    case 5: // retyped
      if (target) target[0] = random.chance(0.7) ? random.pick(attributeTypes) : random.int(0x10000);
      return;
    case 6: // dropped
      if (index >= 0) attributes.splice(index, 1);
      return;
    case 7: // an extra attribute, known or not, comprehension-required or not
      attributes.splice(random.int(attributes.length + 1), 0, [
        random.chance(0.7) ? random.pick(attributeTypes) : random.int(0x10000),
        random.bytes(random.edgyLength(random.chance(0.1) ? maxValue : 64)),
      ]);
      return;
    default: // reordered
      if (attributes.length > 1) {
        const other = random.int(attributes.length);
        [attributes[index], attributes[other]] = [
          attributes[other] as [number, Uint8Array],
          target as [number, Uint8Array],
        ];
      }
  }
}

const methods = [
  StunMethod.Binding,
  StunMethod.Allocate,
  StunMethod.Refresh,
  StunMethod.CreatePermission,
  StunMethod.CreatePermission,
  StunMethod.ChannelBind,
  StunMethod.ChannelBind,
  StunMethod.Send,
  StunMethod.Send,
  StunMethod.Data,
] as const;

/** A valid, signed message of `method` toward `peer`: what a well-behaved client sends. */
export function validTemplate(method: number, peer: TransportAddress, random: FuzzRandom): StunTemplate {
  const transactionId = random.bytes(12);
  const indication = method === StunMethod.Send;
  return {
    method,
    class: indication ? 'indication' : 'request',
    transactionId: hex(transactionId),
    attributes: validAttributes(method, transactionId, peer, random).map(
      ([type, value]) => [type, hex(value)] as const,
    ),
    auth: indication || method === StunMethod.Binding ? 'none' : 'session',
    fingerprint: true,
  };
}

/** A STUN template: a valid message of a method (some unknown), mutated, with how to sign it. */
export function stunTemplate(
  peer: TransportAddress,
  random: FuzzRandom,
  maxValue: number,
  stream: boolean,
): StunTemplate {
  const method = random.chance(0.05) ? random.int(0x1000) : random.pick(methods);
  const indication = method === StunMethod.Send || method === StunMethod.Data;
  const cls: StunTemplate['class'] = random.chance(0.05)
    ? random.pick(['request', 'indication', 'success', 'error'] as const)
    : indication
      ? 'indication'
      : 'request';
  const transactionId = random.bytes(12);
  const attributes = validAttributes(method, transactionId, peer, random);
  if (random.chance(0.9)) {
    for (let mutations = 1 + random.int(3); mutations > 0; mutations--)
      mutateAttributes(attributes, random, maxValue);
  }
  const authRoll = random.next();
  const auth: StunTemplate['auth'] = indication
    ? 'none'
    : authRoll < 0.8
      ? 'session'
      : authRoll < 0.9
        ? 'none'
        : 'wrong-key';
  const template: {
    -readonly [K in keyof StunTemplate]: StunTemplate[K];
  } = {
    method,
    class: cls,
    transactionId: hex(transactionId),
    attributes: attributes.map(([type, value]) => [type, hex(value)] as const),
    auth,
    fingerprint: random.chance(0.8),
  };
  if (auth !== 'none' && random.chance(0.05)) template.sha256 = true;
  if (random.chance(0.08)) {
    // Damage after encoding: such a message no longer authenticates, and tests the decoder itself.
    const patches: [number, number][] = [];
    for (let count = 1 + random.int(3); count > 0; count--) {
      // The header (type, length, cookie) most often over UDP; over a stream a bad length ends the framing.
      const header = random.chance(stream ? 0.03 : 0.4);
      patches.push([header ? random.int(20) : 20 + random.int(4096), random.int(256)]);
    }
    template.patches = patches;
    // A cut or an extension breaks a stream's framing: over TCP a few only.
    if (random.chance(stream ? 0.03 : 0.3)) template.cut = random.edgyLength(256);
    if (random.chance(stream ? 0.03 : 0.3)) template.append = hex(random.bytes(random.edgyLength(16)));
  }
  return template;
}

const keyCache = new Map<string, Uint8Array>();
function keyOf(keys: TurnSessionKeys, wrong: boolean): Uint8Array {
  const id = `${keys.username}\0${keys.realm}\0${wrong ? 'x' : ''}${keys.password}`;
  let key = keyCache.get(id);
  if (!key) {
    key = longTermKey(keys.username, keys.realm, wrong ? `x${keys.password}` : keys.password);
    keyCache.set(id, key);
  }
  return key;
}

/** The bytes of a template, signed for the session whose keys are given. */
export function renderStun(template: StunTemplate, keys: TurnSessionKeys | undefined): Uint8Array {
  const attributes = template.attributes.map(([type, value]) => ({ type, value: fromHex(value) }));
  const signed = template.auth !== 'none' && keys !== undefined;
  if (signed) {
    attributes.push(
      { type: StunAttributeType.Username, value: Buffer.from(keys.username) },
      { type: StunAttributeType.Realm, value: Buffer.from(keys.realm) },
      { type: StunAttributeType.Nonce, value: Buffer.from(keys.nonce) },
    );
  }
  let bytes: Uint8Array;
  const key = signed ? keyOf(keys, template.auth === 'wrong-key') : undefined;
  try {
    bytes = encodeStunMessage(
      {
        method: template.method,
        class: template.class,
        transactionId: fromHex(template.transactionId),
        attributes,
      },
      {
        integrityKey: key && !template.sha256 ? key : undefined,
        integritySha256Key: key && template.sha256 ? key : undefined,
        fingerprint: template.fingerprint,
      },
    );
  } catch {
    // Over the 64 KiB body: send the largest prefix the codec takes, which is still a case.
    return renderStun({ ...template, attributes: template.attributes.slice(0, -1) }, keys);
  }
  if (!template.patches && template.cut === undefined && template.append === undefined) return bytes;
  const damaged = Buffer.from(bytes);
  for (const [offset, value] of template.patches ?? []) {
    // Offsets from 20 on stay past the header, so a patch meant for the body leaves the framing alone.
    const body = damaged.length - 20;
    damaged[offset < 20 || body <= 0 ? offset % damaged.length : 20 + ((offset - 20) % body)] = value;
  }
  const cut =
    template.cut === undefined ? damaged : damaged.subarray(0, Math.min(damaged.length, template.cut));
  return template.append === undefined ? cut : Buffer.concat([cut, fromHex(template.append)]);
}

/** ChannelData (RFC 8656 §12.4): bound and unbound channels, lengths that lie, padding or none. */
export function channelDataBytes(random: FuzzRandom, maxData: number, stream: boolean): Uint8Array {
  // 0x3FFF and 0x8000 start neither ChannelData nor STUN: over a stream only a few.
  const outside = random.chance(stream ? 0.02 : 0.3);
  const channel = random.chance(0.7)
    ? boundChannel + random.int(4)
    : random.pick(
        outside ? [0x3fff, 0x8000, 0xffff] : [0x4fff, 0x5000, 0x7fff, random.range(0x4000, 0x7fff)],
      );
  const data = random.bytes(random.edgyLength(maxData));
  // Built by hand: encodeChannelData rightly refuses the channels outside 0x4000-0x7FFF sent here.
  // Over a stream ChannelData must be padded (RFC 8656 §12.5); over UDP padding is optional.
  const padded = random.chance(stream ? 0.995 : 0.5) ? (data.length + 3) & ~3 : data.length;
  const bytes = Buffer.alloc(4 + padded);
  bytes.writeUInt16BE(channel, 0);
  bytes.writeUInt16BE(data.length, 2);
  bytes.set(data, 4);
  // Over a stream a lying length ends the connection's framing: rarer there.
  switch (random.int(stream ? 150 : 6)) {
    case 0: // a length larger than the data
      bytes.writeUInt16BE(Math.min(0xffff, data.length + 1 + random.edgyLength(2048)), 2);
      return bytes;
    case 1: // a length smaller than the data
      bytes.writeUInt16BE(random.int(data.length + 1), 2);
      return bytes;
    case 2: // cut inside the header
      return bytes.subarray(0, random.int(4));
    case 3:
      bytes.writeUInt16BE(channel, 0);
      return Buffer.concat([bytes, random.bytes(random.range(1, 7))]);
    default:
      return bytes;
  }
}

/** One TURN case: mostly STUN on an allocated session, some fresh, some ChannelData and garbage. */
export function turnCase(
  peer: TransportAddress,
  random: FuzzRandom,
  maxValue: number,
  stream: boolean,
): TurnCase {
  const roll = random.next();
  if (roll < 0.15)
    return {
      phase: 'allocated',
      raw: Buffer.from(channelDataBytes(random, maxValue, stream)).toString('base64'),
    };
  if (roll < (stream ? 0.155 : 0.18)) {
    // Garbage that looks like nothing, or like the start of STUN.
    const bytes = random.bytes(random.edgyLength(maxValue));
    if (bytes.length > 0 && random.chance(0.5)) bytes[0] = (bytes[0] as number) & 0x3f;
    return { phase: random.chance(0.5) ? 'allocated' : 'fresh', raw: Buffer.from(bytes).toString('base64') };
  }
  return {
    phase: random.chance(0.85) ? 'allocated' : 'fresh',
    stun: stunTemplate(peer, random, maxValue, stream),
  };
}
