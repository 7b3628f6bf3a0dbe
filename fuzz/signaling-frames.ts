/**
 * Structure-aware mutation of Ant Media P2P signaling frames: a valid message of each command, then
 * fields dropped, retyped, nested up to 50,000 levels, oversized around the 64 KiB frame cap, keys
 * repeated, unicode edge cases, and frame-level damage (invalid UTF-8 in text frames, binary frames).
 * Messages are kept as ordered entries so that repeated keys and raw JSON text (deep nesting is built as
 * text: serializing it with JSON.stringify would overflow this process's stack) can be written.
 */
import type { FuzzRandom } from './door.ts';

/** Raw JSON text spliced in as a value. */
class RawJson {
  constructor(readonly text: string) {}
}
type Value = RawJson | string | number | boolean | null | Value[] | { [key: string]: Value };
type Entry = [key: string, value: Value];

export interface SignalingFrame {
  readonly frame: Buffer;
  readonly binary: boolean;
}

/** The frame cap of `dyad serve` (ws maxPayload), which oversized cases straddle. */
export const frameCapBytes = 64 * 1024;

export const commands = [
  'ping',
  'getIceServerConfig',
  'join',
  'takeConfiguration',
  'takeCandidate',
  'leave',
  'stop',
  'peerMessageCommand',
] as const;

const sdp = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Fz1x',
  'a=ice-pwd:0123456789abcdefghijklmn',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CD:87:32:BE:DD:8C:66:A5:8E:50:55:EA:20:C8:F9:36:0E:2F:11:8B',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

/** The relayed commands weigh triple: they reach a second socket, where the delivery code runs. */
const weightedCommands = commands.flatMap((command) =>
  command === 'takeConfiguration' || command === 'takeCandidate' || command === 'peerMessageCommand'
    ? [command, command, command]
    : [command],
);

/** A valid message of `command` for `room`, as ordered entries. */
export function validMessage(command: (typeof commands)[number], room: string, random: FuzzRandom): Entry[] {
  const base: Entry[] = [['command', command]];
  switch (command) {
    case 'ping':
    case 'getIceServerConfig':
      return base;
    case 'join':
      return [
        ...base,
        ['streamId', room],
        ['mode', random.pick(['both', 'play', 'publish'])],
        ['multiPeer', false],
      ];
    case 'takeConfiguration':
      return [...base, ['streamId', room], ['type', random.pick(['offer', 'answer'])], ['sdp', sdp]];
    case 'takeCandidate':
      return [
        ...base,
        ['streamId', room],
        ['label', 0],
        ['id', '0'],
        ['candidate', `candidate:1 1 udp 2122260223 127.0.0.1 ${random.range(1024, 65535)} typ host`],
      ];
    case 'leave':
    case 'stop':
      return [...base, ['streamId', room]];
    case 'peerMessageCommand':
      return [
        ...base,
        ['streamId', room],
        ['definition', random.pick(['chat', 'file', ''])],
        ['data', { text: 'hello', at: 1 }],
      ];
  }
}

function serialize(value: Value): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${serialize(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function serializeEntries(entries: readonly Entry[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${serialize(value)}`).join(',')}}`;
}

/**
 * A depth from one of five decades-wide bands (10-100 ... 20,000-50,000), log-uniform inside it: as many
 * cases shallow as past the few thousand levels where recursive walks overflow a default stack.
 */
const depthBands = [10, 100, 1_000, 5_000, 20_000, 50_000];
function nestingDepth(random: FuzzRandom): number {
  const band = random.int(depthBands.length - 1);
  const low = depthBands[band] as number;
  const high = depthBands[band + 1] as number;
  return Math.round(low * (high / low) ** random.next());
}

/** Deeply nested JSON text in one of several shapes. */
export function deepJson(depth: number, random: FuzzRandom): RawJson {
  switch (random.int(4)) {
    case 0:
      return new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    case 1:
      return new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    case 2:
      return new RawJson(`${'[{"":'.repeat(depth)}null${'}]'.repeat(depth)}`);
    default:
      // Not closed: a parser must fail, not recurse forever.
      return new RawJson('['.repeat(depth));
  }
}

const oddStrings = [
  '\ud800',
  '\udfff',
  'a\udc00b',
  '\u202e\u2066evil\u2069',
  '\u0000',
  'x\u0000y',
  '\ufeff',
  '\u2028\u2029',
  '💥'.repeat(40),
  'e\u0301\u0301\u0301',
  '\uffff\ufffe',
  '../../etc/passwd',
  '%00%ff',
  '__proto__',
  'constructor',
  'toString',
];

function oddValue(random: FuzzRandom): Value {
  switch (random.int(18)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, -0, 1.5, 2 ** 53 + 1, 1e308, -1e308, 4294967296, 1024, 1025, 65535]);
    case 3:
      return '';
    case 4:
      return random.pick(oddStrings);
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return new RawJson(
        random.pick(['1e999', '-1e999', '0.0000000000000000000000001', '123456789012345678901234567890']),
      );
    case 8:
      return { __proto__: { polluted: true } } as unknown as Value;
    case 9:
      return new RawJson('{"__proto__":{"polluted":1}}');
    case 10:
      return 'x'.repeat(random.edgyLength(70_000));
    case 11:
      return random.pick(commands);
    case 12:
      return [1, 'two', null, { three: [3] }];
    case 13:
      return deepJson(Math.round(10 * 40 ** random.next()), random);
    case 14:
      return new RawJson(`"${'\\u0000'.repeat(random.range(1, 64))}"`);
    case 15:
      return new RawJson(`"\\ud800\\udbff${'\\udc00'.repeat(random.range(1, 8))}"`);
    default:
      return random.pick(['both', 'play', 'publish', 'offer', 'answer', 'chat']);
  }
}

const extraKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'idMapping',
  'data',
  'token',
  'x',
  '',
  'streamId',
  'command',
  'k'.repeat(300),
  '\ud800',
];

/** One mutation of the entries, in place; returns frame-level damage to apply after serializing. */
function mutateEntries(entries: Entry[], rooms: readonly string[], random: FuzzRandom): void {
  const index = entries.length > 0 ? random.int(entries.length) : -1;
  const target = entries[index];
  // Nesting and extra fields weigh double: together they are what makes a relay re-serialize deep data.
  switch (random.int(12)) {
    case 0: // drop a field
      if (index >= 0) entries.splice(index, 1);
      return;
    case 1: // retype a field
      if (target) target[1] = oddValue(random);
      return;
    case 2: // nest a field deeply (the data of peerMessageCommand most of all)
    case 10: {
      const data = entries.find(([key]) => key === 'data');
      const slot = data && random.chance(0.5) ? data : target;
      if (slot) slot[1] = deepJson(nestingDepth(random), random);
      else entries.push(['data', deepJson(nestingDepth(random), random)]);
      return;
    }
    case 3: // a string near and over the frame cap
      {
        const size = random.chance(0.5)
          ? frameCapBytes - 256 + random.int(512)
          : random.pick([65_535, 65_536, 65_537, 16_384, 70_000, 131_072]);
        const slot = target ?? ['sdp', ''];
        slot[1] = 'A'.repeat(Math.max(0, size - 64));
        if (!target) entries.push(slot);
        return;
      }
    case 4: // a repeated key, before or after the first
      if (target) {
        const copy: Entry = [target[0], oddValue(random)];
        entries.splice(random.chance(0.5) ? index : index + 1, 0, copy);
      }
      return;
    case 5: // unicode edge cases inside a string field
      if (target) target[1] = `${typeof target[1] === 'string' ? target[1] : ''}${random.pick(oddStrings)}`;
      return;
    case 6: // an extra field: the relay then re-serializes instead of forwarding the text
    case 11:
      entries.splice(random.int(entries.length + 1), 0, [random.pick(extraKeys), oddValue(random)]);
      return;
    case 7: // another command for the same fields
      {
        const command = entries.find(([key]) => key === 'command');
        const name = random.chance(0.8)
          ? random.pick(commands)
          : random.pick([
              'PING',
              'ping\u0000',
              'toString',
              '__proto__',
              'hasOwnProperty',
              'start',
              'pong',
              '',
            ]);
        if (command) command[1] = name;
        else entries.unshift(['command', name]);
        return;
      }
    case 8: // another stream id: other rooms, invalid characters, too long
      {
        const streamId = entries.find(([key]) => key === 'streamId');
        const value = random.chance(0.6)
          ? random.pick(rooms)
          : random.pick([
              '',
              ' ',
              'a/b',
              'r'.repeat(128),
              'r'.repeat(129),
              'r'.repeat(257),
              'room\u0000',
              '..',
              '\u202e',
            ]);
        if (streamId) streamId[1] = value;
        else entries.push(['streamId', value]);
        return;
      }
    default: {
      // a number where an integer is expected, and the edges of label
      const label = entries.find(([key]) => key === 'label');
      if (label) label[1] = random.pick([-1, 1024, 1025, 0.5, 2 ** 31, Number.MAX_SAFE_INTEGER]);
      else if (target) target[1] = random.pick([0, 1, -1]);
    }
  }
}

const invalidUtf8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** Damage to the frame as bytes. */
function damageFrame(frame: Buffer, random: FuzzRandom): SignalingFrame {
  switch (random.int(8)) {
    case 0: // binary frame (ignored by the protocol, must stay harmless)
      return { frame, binary: true };
    case 1: // invalid UTF-8 in a text frame
      {
        const at = random.int(frame.length + 1);
        const bad = Buffer.from(random.pick(invalidUtf8));
        return { frame: Buffer.concat([frame.subarray(0, at), bad, frame.subarray(at)]), binary: false };
      }
    case 2: // cut short
      return { frame: frame.subarray(0, random.int(frame.length + 1)), binary: false };
    case 3: // trailing garbage or whitespace
      return {
        frame: Buffer.concat([
          frame,
          Buffer.from(random.pick([' ', '\n\t\r ', '}', ',', 'x', '\u0000', '{}'])),
        ]),
        binary: false,
      };
    case 4: // not an object at the top
      return {
        frame: Buffer.from(
          random.pick(['null', '1', '"ping"', '[]', `[${frame.toString()}]`, 'true', '', ' ']),
        ),
        binary: false,
      };
    case 5: // a byte order mark in front
      return { frame: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), frame]), binary: false };
    case 6: // a bit flipped
      {
        const copy = Buffer.from(frame);
        if (copy.length > 0) {
          const at = random.int(copy.length);
          copy[at] = (copy[at] as number) ^ (1 << random.int(8));
        }
        return { frame: copy, binary: false };
      }
    default: // random bytes
      return { frame: Buffer.from(random.bytes(random.edgyLength(2048))), binary: random.chance(0.3) };
  }
}

/**
 * One fuzz frame for a socket in `room` (whose partner may receive it), with `rooms` the other rooms
 * in play. Roughly one in ten is left valid, to keep the pair's state moving.
 */
export function signalingFrame(room: string, rooms: readonly string[], random: FuzzRandom): SignalingFrame {
  const command = random.pick(weightedCommands);
  const entries = validMessage(command, room, random);
  if (random.chance(0.9)) {
    const mutations = 1 + random.int(3);
    for (let i = 0; i < mutations; i++) mutateEntries(entries, rooms, random);
  }
  const frame = Buffer.from(serializeEntries(entries), 'utf8');
  return random.chance(0.1) ? damageFrame(frame, random) : { frame, binary: false };
}
