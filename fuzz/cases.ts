/**
 * Fuzz cases as replayable data: what a door sent, in a form that can be written to a JSON file and sent
 * again against a fresh server. The recent cases of a door are kept in a ring; when the server dies they
 * are saved under fuzz/crashers/, and every run replays fuzz/corpus/ and fuzz/crashers/ first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fuzzRoot = fileURLToPath(new URL('.', import.meta.url));
export const crashersDir = join(fuzzRoot, 'crashers');
export const corpusDir = join(fuzzRoot, 'corpus');

/** One WebSocket frame, sent by one socket of a joined pair (or a socket in no room). */
export interface SignalingCase {
  /** The room the sending pair joined first; relays to its partner go through it. */
  readonly room: string;
  readonly from: 'a' | 'b' | 'loner';
  readonly binary: boolean;
  /** The frame: text when it is valid UTF-8 and short enough to read, else base64. */
  readonly text?: string;
  readonly base64?: string;
}

/** A STUN message before authentication is added: the door signs it with the session's key. */
export interface StunTemplate {
  readonly method: number;
  readonly class: 'request' | 'indication' | 'success' | 'error';
  readonly transactionId: string;
  /** [type, value in hex], in order, values of any length (mutations included). */
  readonly attributes: ReadonlyArray<readonly [number, string]>;
  /**
   * session: USERNAME, REALM and NONCE of the session, then MESSAGE-INTEGRITY over the mutated message;
   * wrong-key: the same with a wrong password; none: no authentication.
   */
  readonly auth: 'session' | 'wrong-key' | 'none';
  readonly sha256?: boolean;
  readonly fingerprint: boolean;
  /** Byte edits after encoding: [offset, value] (offset taken modulo the length), then cut, then append. */
  readonly patches?: ReadonlyArray<readonly [number, number]>;
  readonly cut?: number;
  readonly append?: string;
}

export interface TurnCase {
  /** allocated: sent on a 5-tuple that holds an allocation with a permission and channel 0x4000 to the peer. */
  readonly phase: 'allocated' | 'fresh';
  readonly stun?: StunTemplate;
  /** Bytes sent as they are (ChannelData, garbage, TCP framing), base64. */
  readonly raw?: string;
}

export type FuzzCase = SignalingCase | TurnCase;

export interface CaseFile {
  readonly door: string;
  readonly note: string;
  readonly cases: FuzzCase[];
}

/** The last `size` cases, oldest first on read. */
export class CaseRing<T> {
  readonly #items: (T | undefined)[];
  #next = 0;

  constructor(readonly size: number) {
    this.#items = new Array(size);
  }

  push(item: T): void {
    this.#items[this.#next % this.size] = item;
    this.#next++;
  }

  recent(): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, this.#next - this.size); i < this.#next; i++) {
      const item = this.#items[i % this.size];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}

export function saveCrasher(door: string, seed: number, note: string, cases: FuzzCase[]): string {
  mkdirSync(crashersDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(crashersDir, `${door}-seed${seed}-${stamp}.json`);
  writeCaseFile(path, { door, note, cases });
  formatCaseFiles([path]);
  return path;
}

/** Writes case files as the project's formatter lays JSON out, so they can be checked in as they are. */
export function writeCaseFile(path: string, file: CaseFile): void {
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Formats written case files with Biome (the repository's formatter); a missing Biome leaves them as written. */
export function formatCaseFiles(paths: readonly string[]): void {
  const biome = join(fuzzRoot, '..', 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  spawnSync(process.execPath, [biome, 'format', '--write', ...paths], { stdio: 'ignore' });
}

/** Every case file under fuzz/corpus/<door>/ and fuzz/crashers/, for the doors asked for. */
export function loadCaseFiles(doors: readonly string[]): { path: string; file: CaseFile }[] {
  const out: { path: string; file: CaseFile }[] = [];
  const read = (path: string) => {
    const file = JSON.parse(readFileSync(path, 'utf8')) as CaseFile;
    if (doors.includes(file.door)) out.push({ path, file });
  };
  for (const door of doors) {
    const dir = join(corpusDir, door);
    for (const name of listJson(dir)) read(join(dir, name));
  }
  for (const name of listJson(crashersDir)) read(join(crashersDir, name));
  return out;
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

export function frameOf(item: SignalingCase): Buffer {
  return item.text !== undefined ? Buffer.from(item.text, 'utf8') : Buffer.from(item.base64 ?? '', 'base64');
}

export function signalingCase(
  room: string,
  from: SignalingCase['from'],
  frame: Buffer,
  binary: boolean,
): SignalingCase {
  // Keep text only where it round-trips exactly (no invalid UTF-8) and stays readable.
  if (!binary && frame.length <= 4096) {
    const text = frame.toString('utf8');
    if (Buffer.byteLength(text) === frame.length && Buffer.from(text).equals(frame))
      return { room, from, binary, text };
  }
  return { room, from, binary, base64: frame.toString('base64') };
}
