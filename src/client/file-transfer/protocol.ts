/**
 * Dyad file-transfer protocol, version 1: the messages two peers exchange over one reliable, ordered data
 * channel labelled `dyad-files`. Control messages are JSON text frames; file data travels in binary chunk
 * frames. docs/file-transfer.md is the normative description; this file is its codec. Every decoder here
 * treats its input as hostile: unknown shapes, out-of-range numbers and oversized fields are a typed
 * FileTransferProtocolError, never a crash.
 */
import { ByteReader, ByteWriter, TruncatedInputError } from '../../util/index.ts';

export const FILE_TRANSFER_VERSION = 1;
export const FILE_TRANSFER_CHANNEL_LABEL = 'dyad-files';
/** Binary chunk frame header: type (u8) + file index (u16) + chunk index (u32). */
export const CHUNK_HEADER_LENGTH = 7;
export const CHUNK_FRAME_TYPE = 0x01;
/**
 * 128 KiB: measured 40 % faster than 64 KiB between two Chromiums, and half of the 256 KiB every current
 * browser accepts (`a=max-message-size`); a sender still shrinks it to what the remote peer accepts.
 */
export const DEFAULT_CHUNK_SIZE = 128 * 1024;
export const MAX_CHUNK_SIZE = 256 * 1024 - CHUNK_HEADER_LENGTH;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_FILES_PER_OFFER = 1000;
/**
 * The longest name a receiver saves, in UTF-8 bytes: what ext4 and most Unix file systems allow, and never
 * more than NTFS's 255 UTF-16 units (safeFileName cuts longer ones).
 */
export const MAX_NAME_LENGTH = 255;
/**
 * The longest name an offer may carry, in UTF-16 units (JavaScript string length). Generous, so that any
 * name a file system can hold travels as it is (255 UTF-16 units on NTFS, 255 bytes on ext4): the receiver
 * shortens it, the sender does not have to.
 */
export const MAX_OFFERED_NAME_LENGTH = MAX_NAME_LENGTH * 4;
/** The longest MIME type an offer may carry, in UTF-16 units; it is only a hint. */
export const MAX_TYPE_LENGTH = 255;
/**
 * The largest control message, in UTF-8 bytes of its JSON text: what a data channel carries and what
 * current browsers accept in one message (`a=max-message-size:262144`, RFC 8841 §6). Anything larger is
 * hostile.
 */
export const MAX_CONTROL_MESSAGE_LENGTH = 256 * 1024;

export class FileTransferProtocolError extends Error {
  override readonly name: string = 'FileTransferProtocolError';
  constructor(
    readonly code: FileTransferErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type FileTransferErrorCode =
  | 'malformed'
  | 'unsupported_version'
  | 'unexpected_chunk'
  | 'bad_resume'
  | 'hash_mismatch'
  | 'write_failed'
  | 'cancelled'
  | 'offer_too_large'
  /** The pairing proof (§9) was missing or wrong: nothing may be sent. */
  | 'proof_failed';

/**
 * The sender refuses an offer the receiver would reject (too many files, a name too long, more bytes than
 * one control message may have) before sending anything, with a sentence a person can act on.
 */
export class OfferTooLargeError extends FileTransferProtocolError {
  override readonly name = 'OfferTooLargeError';
  constructor(
    message: string,
    readonly fileCount: number,
    /** UTF-8 bytes of the offer's JSON text. */
    readonly encodedBytes: number,
    /** The byte limit it was checked against. */
    readonly maxBytes: number,
  ) {
    super('offer_too_large', message);
  }
}

export interface FileDescription {
  /** Position in the offer, 0-based; chunk frames name files by this index. */
  index: number;
  name: string;
  size: number;
  /** MIME type as the sender's platform reported it; may be empty. */
  type: string;
  lastModified: number;
}

export interface HelloMessage {
  type: 'hello';
  versions: number[];
  role: 'sender' | 'receiver';
}
export interface OfferMessage {
  type: 'offer';
  version: number;
  transferId: string;
  chunkSize: number;
  files: FileDescription[];
}
export interface AcceptMessage {
  type: 'accept';
  transferId: string;
  /** Files the receiver wants, each from `fromChunk` (0 for a fresh start, more when resuming). */
  files: { index: number; fromChunk: number }[];
}
export interface DeclineMessage {
  type: 'decline';
  transferId: string;
}
export interface FileEndMessage {
  type: 'file-end';
  transferId: string;
  index: number;
  /** SHA-256 of the whole file, lower-case hex. */
  sha256: string;
}
export interface AckMessage {
  type: 'ack';
  transferId: string;
  index: number;
  /** Chunks of this file received in sequence and handed to storage: the resume point. */
  chunks: number;
}
export interface FileResultMessage {
  type: 'file-result';
  transferId: string;
  index: number;
  ok: boolean;
  sha256: string;
}
export interface CancelMessage {
  type: 'cancel';
  transferId: string;
  reason: string;
}
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type ControlMessage =
  | HelloMessage
  | OfferMessage
  | AcceptMessage
  | DeclineMessage
  | FileEndMessage
  | AckMessage
  | FileResultMessage
  | CancelMessage
  | ErrorMessage;

export interface ChunkFrame {
  fileIndex: number;
  chunkIndex: number;
  data: Uint8Array;
}

/** Number of chunk frames a file of `size` bytes is cut into (an empty file has none). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Payload length of chunk `chunkIndex`: every chunk is full except possibly the last. */
export function chunkLength(size: number, chunkSize: number, chunkIndex: number): number {
  return Math.max(0, Math.min(chunkSize, size - chunkIndex * chunkSize));
}

export function encodeChunkFrame(frame: ChunkFrame): Uint8Array {
  const writer = new ByteWriter(CHUNK_HEADER_LENGTH + frame.data.length);
  writer.u8(CHUNK_FRAME_TYPE).u16(frame.fileIndex).u32(frame.chunkIndex).bytes(frame.data);
  return writer.finish();
}

/** Decodes a binary frame; `data` is a view into `bytes`, not a copy. */
export function decodeChunkFrame(bytes: Uint8Array): ChunkFrame {
  const reader = new ByteReader(bytes);
  try {
    const frameType = reader.u8('frame type');
    if (frameType !== CHUNK_FRAME_TYPE) {
      throw new FileTransferProtocolError('malformed', `unknown binary frame type ${frameType}`);
    }
    const fileIndex = reader.u16('file index');
    const chunkIndex = reader.u32('chunk index');
    const data = reader.rest();
    if (data.length === 0) throw new FileTransferProtocolError('malformed', 'empty chunk frame');
    return { fileIndex, chunkIndex, data };
  } catch (error) {
    if (error instanceof TruncatedInputError) throw new FileTransferProtocolError('malformed', error.message);
    throw error;
  }
}

export function encodeControlMessage(message: ControlMessage): string {
  return JSON.stringify(message);
}

/** UTF-8 length of `text` in bytes (what a data channel sends), without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3; // the rest of the BMP; a lone surrogate is sent as U+FFFD, also 3 bytes
  }
  return bytes;
}

/** Parses and validates one JSON control frame. */
export function decodeControlMessage(text: string): ControlMessage {
  // A UTF-16 unit is never more than 3 UTF-8 bytes nor fewer than 1: count only when it can matter.
  const overLimit =
    text.length > MAX_CONTROL_MESSAGE_LENGTH ||
    (text.length * 3 > MAX_CONTROL_MESSAGE_LENGTH && utf8Length(text) > MAX_CONTROL_MESSAGE_LENGTH);
  if (overLimit) {
    throw new FileTransferProtocolError(
      'malformed',
      `control message over ${MAX_CONTROL_MESSAGE_LENGTH} bytes`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FileTransferProtocolError('malformed', 'control message is not JSON');
  }
  const m = asRecord(value, 'message');
  switch (m['type']) {
    case 'hello': {
      const versions = asArray(m['versions'], 'versions', 16).map((v) => asCount(v, 'version', 0xffff));
      const role = m['role'];
      if (role !== 'sender' && role !== 'receiver') throw malformed('role');
      return { type: 'hello', versions, role };
    }
    case 'offer': {
      const chunkSize = asCount(m['chunkSize'], 'chunkSize', MAX_CHUNK_SIZE);
      if (chunkSize < MIN_CHUNK_SIZE) throw malformed('chunkSize');
      const files = asArray(m['files'], 'files', MAX_FILES_PER_OFFER).map(decodeFileDescription);
      files.forEach((file, position) => {
        if (file.index !== position) throw malformed('files[].index');
      });
      return {
        type: 'offer',
        version: asCount(m['version'], 'version', 0xffff),
        transferId: asTransferId(m['transferId']),
        chunkSize,
        files,
      };
    }
    case 'accept': {
      const files = asArray(m['files'], 'files', MAX_FILES_PER_OFFER).map((entry) => {
        const f = asRecord(entry, 'files[]');
        return {
          index: asCount(f['index'], 'index', MAX_FILES_PER_OFFER - 1),
          fromChunk: asCount(f['fromChunk'], 'fromChunk', 2 ** 32 - 1),
        };
      });
      return { type: 'accept', transferId: asTransferId(m['transferId']), files };
    }
    case 'decline':
      return { type: 'decline', transferId: asTransferId(m['transferId']) };
    case 'file-end':
      return {
        type: 'file-end',
        transferId: asTransferId(m['transferId']),
        index: asCount(m['index'], 'index', MAX_FILES_PER_OFFER - 1),
        sha256: asSha256(m['sha256']),
      };
    case 'ack':
      return {
        type: 'ack',
        transferId: asTransferId(m['transferId']),
        index: asCount(m['index'], 'index', MAX_FILES_PER_OFFER - 1),
        chunks: asCount(m['chunks'], 'chunks', 2 ** 32 - 1),
      };
    case 'file-result': {
      if (typeof m['ok'] !== 'boolean') throw malformed('ok');
      return {
        type: 'file-result',
        transferId: asTransferId(m['transferId']),
        index: asCount(m['index'], 'index', MAX_FILES_PER_OFFER - 1),
        ok: m['ok'],
        sha256: asSha256(m['sha256']),
      };
    }
    case 'cancel':
      return {
        type: 'cancel',
        transferId: asTransferId(m['transferId']),
        reason: asString(m['reason'], 'reason', 200),
      };
    case 'error':
      return {
        type: 'error',
        code: asString(m['code'], 'code', 64),
        message: asString(m['message'], 'message', 500),
      };
    default:
      throw new FileTransferProtocolError('malformed', `unknown control message type ${String(m['type'])}`);
  }
}

/** Picks the highest version both peers speak, or undefined when they share none. */
export function negotiateVersion(ours: readonly number[], theirs: readonly number[]): number | undefined {
  const common = ours.filter((v) => theirs.includes(v));
  return common.length === 0 ? undefined : Math.max(...common);
}

/**
 * Checks an offer against the limits decodeControlMessage enforces, so that a sender never sends one the
 * receiver must reject, and returns its exact size: UTF-8 bytes of the JSON text that goes on the wire.
 * `maxBytes` lowers the limit for a remote peer that takes smaller messages
 * (RTCSctpTransport.maxMessageSize).
 */
export function checkOfferSize(offer: OfferMessage, maxBytes = MAX_CONTROL_MESSAGE_LENGTH): number {
  const limit = Math.min(maxBytes, MAX_CONTROL_MESSAGE_LENGTH);
  const count = offer.files.length;
  const bytes = utf8Length(encodeControlMessage(offer));
  if (count > MAX_FILES_PER_OFFER) {
    throw new OfferTooLargeError(
      `This offer has ${formatCount(count)} files; one offer carries at most ${formatCount(MAX_FILES_PER_OFFER)}. Send them in several transfers.`,
      count,
      bytes,
      limit,
    );
  }
  const longName = offer.files.find((file) => file.name.length > MAX_OFFERED_NAME_LENGTH);
  if (longName) {
    throw new OfferTooLargeError(
      `The name of file ${formatCount(longName.index + 1)} is ${formatCount(longName.name.length)} characters long; an offer carries names of at most ${formatCount(MAX_OFFERED_NAME_LENGTH)}.`,
      count,
      bytes,
      limit,
    );
  }
  if (bytes > limit) {
    throw new OfferTooLargeError(
      `An offer of ${formatCount(count)} file${count === 1 ? '' : 's'} would be ${formatCount(bytes)} bytes, over the ${formatCount(limit)}-byte limit of one offer: send fewer files at a time, or shorten their names.`,
      count,
      bytes,
      limit,
    );
  }
  return bytes;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function decodeFileDescription(value: unknown): FileDescription {
  const f = asRecord(value, 'files[]');
  return {
    index: asCount(f['index'], 'index', MAX_FILES_PER_OFFER - 1),
    name: asString(f['name'], 'name', MAX_OFFERED_NAME_LENGTH),
    size: asCount(f['size'], 'size', Number.MAX_SAFE_INTEGER),
    type: asString(f['type'] ?? '', 'type', MAX_TYPE_LENGTH),
    lastModified: asCount(f['lastModified'] ?? 0, 'lastModified', Number.MAX_SAFE_INTEGER),
  };
}

function malformed(field: string): FileTransferProtocolError {
  return new FileTransferProtocolError('malformed', `invalid field ${field}`);
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(field);
  return value as Record<string, unknown>;
}

function asArray(value: unknown, field: string, maxLength: number): unknown[] {
  if (!Array.isArray(value) || value.length > maxLength) throw malformed(field);
  return value;
}

function asCount(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw malformed(field);
  return value;
}

function asString(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length > maxLength) throw malformed(field);
  return value;
}

function asTransferId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(value)) throw malformed('transferId');
  return value;
}

function asSha256(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw malformed('sha256');
  return value;
}

export type DecodedFrame =
  | { kind: 'control'; message: ControlMessage }
  | { kind: 'chunk'; frame: ChunkFrame };

/** Routes one data-channel message: text frames are control messages, binary frames are chunks. */
export function decodeFrame(data: string | ArrayBuffer | Uint8Array): DecodedFrame {
  if (typeof data === 'string') return { kind: 'control', message: decodeControlMessage(data) };
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return { kind: 'chunk', frame: decodeChunkFrame(bytes) };
}
