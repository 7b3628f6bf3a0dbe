/**
 * The seed corpus (`npm run fuzz -- --write-corpus` writes it; the files are checked in): small valid
 * traffic of each door, replayed before every run, so the server's ordinary paths are known to hold
 * before the mutated ones are sent. The doors' generators start from the same valid messages.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StunMethod, type TransportAddress } from '../src/stun/index.ts';
import {
  type CaseFile,
  corpusDir,
  formatCaseFiles,
  type SignalingCase,
  signalingCase,
  type TurnCase,
  writeCaseFile,
} from './cases.ts';
import { FuzzRandom } from './door.ts';
import { commands, serializeEntries, validMessage } from './signaling-frames.ts';
import { boundChannel, validTemplate } from './stun-cases.ts';

function signalingSeeds(random: FuzzRandom): Record<string, SignalingCase[]> {
  const room = 'seed-room';
  const text = (from: SignalingCase['from'], message: object | string) =>
    signalingCase(
      room,
      from,
      Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)),
      false,
    );
  const seeds: Record<string, SignalingCase[]> = {};
  for (const command of commands) {
    for (const from of ['a', 'b', 'loner'] as const)
      seeds[`${command}-${from}`] = [text(from, serializeEntries(validMessage(command, room, random)))];
  }
  const offer = serializeEntries(validMessage('takeConfiguration', room, random)).replace(
    '"answer"',
    '"offer"',
  );
  const answer = offer.replace('"offer"', '"answer"');
  const candidate = serializeEntries(validMessage('takeCandidate', room, random));
  seeds['call-setup'] = [text('a', offer), text('b', answer), text('a', candidate), text('b', candidate)];
  seeds['chat-both-ways'] = [
    text('a', { command: 'peerMessageCommand', streamId: room, definition: 'chat', data: { text: 'hi' } }),
    text('b', { command: 'peerMessageCommand', streamId: room, definition: 'chat', data: { text: 'hello' } }),
  ];
  seeds['leave-and-rejoin'] = [
    text('a', { command: 'leave', streamId: room }),
    text('a', { command: 'join', streamId: room, mode: 'both', multiPeer: false }),
    text('a', offer),
  ];
  seeds['ice-config-then-ping'] = [
    text('a', { command: 'getIceServerConfig' }),
    text('a', { command: 'ping' }),
  ];
  seeds['candidate-null-id'] = [
    text('a', {
      command: 'takeCandidate',
      streamId: room,
      label: 0,
      id: null,
      candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
    }),
  ];
  seeds['third-peer-room-full'] = [text('loner', { command: 'join', streamId: room, mode: 'play' })];
  return seeds;
}

function turnSeeds(random: FuzzRandom): Record<string, TurnCase[]> {
  const peer: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: 9 };
  const seeds: Record<string, TurnCase[]> = {};
  const methods: Record<string, number> = {
    binding: StunMethod.Binding,
    allocate: StunMethod.Allocate,
    refresh: StunMethod.Refresh,
    'create-permission': StunMethod.CreatePermission,
    'channel-bind': StunMethod.ChannelBind,
    send: StunMethod.Send,
  };
  for (const [name, method] of Object.entries(methods)) {
    for (let variant = 0; variant < 3; variant++) {
      seeds[`${name}-${variant}`] = [{ phase: 'allocated', stun: validTemplate(method, peer, random) }];
      if (method === StunMethod.Allocate || method === StunMethod.Binding)
        seeds[`${name}-fresh-${variant}`] = [{ phase: 'fresh', stun: validTemplate(method, peer, random) }];
    }
  }
  for (const size of [0, 1, 4, 100, 1000]) {
    const data = Buffer.alloc(4 + ((size + 3) & ~3));
    data.writeUInt16BE(boundChannel, 0);
    data.writeUInt16BE(size, 2);
    data.fill(0x61, 4, 4 + size);
    seeds[`channel-data-${size}`] = [{ phase: 'allocated', raw: data.toString('base64') }];
  }
  return seeds;
}

/** Writes fuzz/corpus/<door>/*.json afresh; returns how many files. */
export function writeSeedCorpus(): number {
  const random = new FuzzRandom(0x5eed);
  let count = 0;
  const write = (door: string, seeds: Record<string, (SignalingCase | TurnCase)[]>) => {
    const dir = join(corpusDir, door);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, cases] of Object.entries(seeds)) {
      const file: CaseFile = { door, note: `seed: ${name}`, cases };
      writeCaseFile(join(dir, `${name}.json`), file);
      count++;
    }
    formatCaseFiles([dir]);
  };
  write('signaling', signalingSeeds(random));
  const turn = turnSeeds(random);
  write('turn-udp', turn);
  write('turn-tcp', turn);
  return count;
}
