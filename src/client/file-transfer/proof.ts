/**
 * The proof of the pairing secret (docs/file-transfer.md §9): once the `dyad-files` channel is open, and
 * before `hello`, each peer sends an HMAC that only a holder of the secret can compute, over both DTLS
 * certificate fingerprints as this peer sees them in the local and remote descriptions (`a=fingerprint`,
 * RFC 8122 §5). DTLS already checks that the remote certificate matches the remote description (RFC 8842
 * §5), so a signaling server that splices itself in (answering each side with its own certificate) makes
 * the two sides see different pairs, and it cannot compute the MAC for the pair the other side expects
 * without the secret, which it never sees. The transfer then stops before a single file byte moves.
 *
 * HKDF and HMAC (RFC 5869, RFC 2104, SHA-256) come from @noble/hashes, the audited library the transfer
 * already hashes with, so the same code runs in browsers and in Node.
 */

import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { type ChunkFrame, type ControlMessage, decodeFrame, FileTransferProtocolError } from './protocol.ts';
import type { FileTransport } from './sender.ts';

export const PROOF_VERSION = 1;
export type ProofRole = 'sender' | 'receiver';
/** A proof message is small; anything longer than this in its place is not one. */
const MAX_PROOF_MESSAGE_LENGTH = 512;
const encoder = new TextEncoder();

/**
 * Every `a=fingerprint` of an SDP (session and media level), normalized to `<algorithm lower case> SP <HEX
 * with colons upper case>`, without duplicates, sorted: one string, comparable however each stack lays out
 * its SDP. Undefined when there is none (no DTLS: nothing to bind to).
 */
export function fingerprintsOf(sdp: string): string | undefined {
  const found = new Set<string>();
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm)) {
    found.add(`${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`);
  }
  return found.size ? [...found].sort().join(',') : undefined;
}

/**
 * The safety code of docs/safety-code.md (the one the call page shows): SHA-256 over the two first
 * fingerprints, sorted and joined with LF, first 8 bytes modulo 10^12, as three groups of four digits.
 */
export function safetyCodeOf(localSdp: string, remoteSdp: string): string | undefined {
  const first = (sdp: string) => {
    const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
    return match ? `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}` : undefined;
  };
  const local = first(localSdp);
  const remote = first(remoteSdp);
  if (!local || !remote) return undefined;
  const digest = sha256(encoder.encode([local, remote].sort().join('\n')));
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  return (value % 10n ** 12n).toString().padStart(12, '0').match(/.{4}/g)!.join(' ');
}

export interface ProofContext {
  /** The pairing secret, as pairing.ts normalizes it. */
  secret: string;
  room: string;
  /** fingerprintsOf() of the sender's and of the receiver's description. */
  senderFingerprints: string;
  receiverFingerprints: string;
}

/**
 * HMAC-SHA256 with a key derived from the secret (HKDF-SHA256, salt `dyad file-transfer proof v1`, info
 * the room), over `dyad-proof-v1 LF role LF sender fingerprints LF receiver fingerprints`. The role keeps a
 * peer's own proof from being reflected back to it as the other's.
 */
export function proofMac(context: ProofContext, role: ProofRole): string {
  const key = hkdf(
    sha256,
    encoder.encode(context.secret),
    encoder.encode('dyad file-transfer proof v1'),
    encoder.encode(context.room),
    32,
  );
  const transcript = ['dyad-proof-v1', role, context.senderFingerprints, context.receiverFingerprints];
  return bytesToHex(hmac(sha256, key, encoder.encode(transcript.join('\n'))));
}

export interface ProofMessage {
  type: 'proof';
  version: number;
  role: ProofRole;
  mac: string;
}

export function encodeProofMessage(message: ProofMessage): string {
  return JSON.stringify(message);
}

/** The proof a peer sent, or undefined for anything else (an older peer's `hello`, garbage). */
export function decodeProofMessage(data: string | ArrayBuffer | Uint8Array): ProofMessage | undefined {
  if (typeof data !== 'string' || data.length > MAX_PROOF_MESSAGE_LENGTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, version, role, mac } = value as Record<string, unknown>;
  if (type !== 'proof' || typeof version !== 'number' || !Number.isInteger(version)) return undefined;
  if ((role !== 'sender' && role !== 'receiver') || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac))
    return undefined;
  return { type, version, role, mac };
}

/** Equal strings of hex, compared in time independent of where they differ. */
function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** The failure every refused proof reports: the person can act on it, whatever the exact cause. */
export class PairingProofError extends FileTransferProtocolError {
  override readonly name = 'PairingProofError';
  constructor(detail: string) {
    super(
      'proof_failed',
      `The other side did not prove that it knows this transfer's code (${detail}). Someone may be ` +
        'between you (the signaling server or the network), or the code or link was mistyped: nothing was ' +
        'sent. Check the code, and compare the safety code on both sides.',
    );
  }
}

/** What the file-transfer engines (FileSender, FileReceiver) offer the channel. */
export interface FileTransferEndpoint {
  attach(transport: FileTransport): void;
  detach(): void;
  handleMessage(message: ControlMessage): void;
  handleChunk?(frame: ChunkFrame): void;
}

/**
 * Sits between one data channel and a file-transfer engine: sends this peer's proof when the channel
 * opens, and passes nothing to the engine (nor lets it send) until the remote proof checked out.
 */
export class ProofGate {
  #transport: FileTransport | undefined;
  #expected: string | undefined;
  #proven = false;
  /** Frames that came before this side saw the channel open (the other side may open first). */
  #early: (string | ArrayBuffer | Uint8Array)[] = [];
  #closed = false;

  constructor(
    readonly role: ProofRole,
    readonly secret: string,
    readonly room: string,
    readonly endpoint: FileTransferEndpoint,
    readonly onFailure: (error: FileTransferProtocolError) => void,
  ) {}

  get proven(): boolean {
    return this.#proven;
  }

  /** The channel opened; `localSdp`/`remoteSdp` are the descriptions of its peer connection. */
  open(transport: FileTransport, localSdp: string, remoteSdp: string): void {
    this.#transport = transport;
    this.#proven = false;
    const local = fingerprintsOf(localSdp);
    const remote = fingerprintsOf(remoteSdp);
    if (!local || !remote) {
      this.#fail(new PairingProofError('a description has no DTLS fingerprint'));
      return;
    }
    const context: ProofContext = {
      secret: this.secret,
      room: this.room,
      senderFingerprints: this.role === 'sender' ? local : remote,
      receiverFingerprints: this.role === 'sender' ? remote : local,
    };
    this.#expected = proofMac(context, this.role === 'sender' ? 'receiver' : 'sender');
    transport.send(
      encodeProofMessage({
        type: 'proof',
        version: PROOF_VERSION,
        role: this.role,
        mac: proofMac(context, this.role),
      }),
    );
    try {
      for (const data of this.#early.splice(0)) this.receive(data);
    } catch (error) {
      if (!(error instanceof FileTransferProtocolError)) throw error;
      this.onFailure(error);
    }
  }

  close(): void {
    this.#closed = true;
    this.#transport = undefined;
    this.#expected = undefined;
    this.#early = [];
    if (this.#proven) this.endpoint.detach();
    this.#proven = false;
  }

  /** A frame from the channel: the proof first, then the transfer's own frames. */
  receive(data: string | ArrayBuffer | Uint8Array): void {
    const transport = this.#transport;
    if (!transport) {
      // Only the proof and what follows it at once can come this early; a few frames, never more.
      if (!this.#closed && this.#early.length < 8) this.#early.push(data);
      return;
    }
    if (this.#proven) {
      const frame = decodeFrame(data);
      if (frame.kind === 'control') this.endpoint.handleMessage(frame.message);
      else if (this.endpoint.handleChunk) this.endpoint.handleChunk(frame.frame);
      else throw new FileTransferProtocolError('unexpected_chunk', 'the sender received a chunk');
      return;
    }
    const proof = decodeProofMessage(data);
    if (!proof) {
      const refused = typeof data === 'string' && data.includes('"proof_failed"');
      this.#fail(
        new PairingProofError(
          refused ? 'it refused our proof' : 'it sent no proof: it may run an older Dyad',
        ),
      );
      return;
    }
    if (proof.version !== PROOF_VERSION || proof.role === this.role) {
      this.#fail(new PairingProofError(`unexpected proof version ${proof.version} from a ${proof.role}`));
      return;
    }
    if (!this.#expected || !sameMac(proof.mac, this.#expected)) {
      this.#fail(new PairingProofError('its proof does not match'));
      return;
    }
    this.#proven = true;
    this.endpoint.attach(transport);
  }

  #fail(error: FileTransferProtocolError): void {
    this.#transport?.send(JSON.stringify({ type: 'error', code: error.code, message: 'proof failed' }));
    this.#closed = true;
    this.#transport = undefined;
    this.onFailure(error);
  }
}
