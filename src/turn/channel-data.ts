/**
 * ChannelData messages (RFC 8656 §12.4) and the framing of STUN and ChannelData on a TCP or TLS stream
 * (§12.5): over a stream a ChannelData message is padded to a multiple of 4 bytes, and the first two bits
 * tell a STUN message (0b00) from a ChannelData one (0b01).
 */
import { HEADER_LENGTH } from '../stun/index.ts';

/** RFC 8656 §12: clients pick channel numbers from 0x4000 through 0x4FFF (RFC 7983 demux range 64-79). */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x4fff;

/**
 * Channel numbers a server accepts: RFC 5766 §11 allowed 0x4000 through 0x7FFF, and clients written to it
 * (coturn's own, libre) still pick numbers above 0x4FFF, so the server stays liberal in what it accepts.
 */
export function isValidChannelNumber(channel: number): boolean {
  return channel >= MIN_CHANNEL && channel <= 0x7fff;
}

export interface ChannelData {
  readonly channel: number;
  readonly data: Uint8Array;
}

export class ChannelDataError extends Error {
  override readonly name = 'ChannelDataError';
}

/** A ChannelData message; `pad` rounds it to a multiple of 4 as streams require. */
export function encodeChannelData(channel: number, data: Uint8Array, pad = false): Uint8Array {
  if (!isValidChannelNumber(channel)) throw new RangeError(`channel ${channel} is outside 0x4000-0x7FFF`);
  if (data.length > 0xffff) throw new RangeError('ChannelData carries at most 65535 bytes');
  const length = 4 + data.length;
  const out = new Uint8Array(pad ? (length + 3) & ~3 : length);
  out[0] = channel >> 8;
  out[1] = channel & 0xff;
  out[2] = data.length >> 8;
  out[3] = data.length & 0xff;
  out.set(data, 4);
  return out;
}

/**
 * Decodes a ChannelData message. Over UDP the datagram may carry padding after the data (§12.5 lets the
 * receiver ignore it); a length beyond the datagram is an error.
 */
export function decodeChannelData(bytes: Uint8Array): ChannelData {
  if (bytes.length < 4) throw new ChannelDataError('ChannelData shorter than its 4-byte header');
  const channel = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (!isValidChannelNumber(channel))
    throw new ChannelDataError(`channel 0x${channel.toString(16)} is invalid`);
  const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (4 + length > bytes.length)
    throw new ChannelDataError(`ChannelData length ${length} overruns the packet`);
  return { channel, data: bytes.subarray(4, 4 + length) };
}

/**
 * Cuts a TCP/TLS byte stream into whole STUN and ChannelData frames. The buffer never holds more than one
 * frame plus one read, and a frame is at most 65555 bytes, so a peer cannot make it grow without bound.
 */
export class StreamFramer {
  #buffer = new Uint8Array(0);

  /** Appends received bytes and returns the complete frames; throws ChannelDataError on a corrupt stream. */
  push(chunk: Uint8Array): Uint8Array[] {
    let buffer: Uint8Array;
    if (this.#buffer.length === 0) buffer = chunk;
    else {
      buffer = new Uint8Array(this.#buffer.length + chunk.length);
      buffer.set(this.#buffer);
      buffer.set(chunk, this.#buffer.length);
    }
    const frames: Uint8Array[] = [];
    let at = 0;
    while (buffer.length - at >= 4) {
      const first = buffer[at] as number;
      const length = ((buffer[at + 2] as number) << 8) | (buffer[at + 3] as number);
      let size: number;
      if (first < 0x40) size = HEADER_LENGTH + length;
      else if (first < 0x80) size = (4 + length + 3) & ~3;
      else
        throw new ChannelDataError(`stream byte 0x${first.toString(16)} starts neither STUN nor ChannelData`);
      if (buffer.length - at < size) break;
      frames.push(buffer.subarray(at, at + size));
      at += size;
    }
    // Copy the tail: `buffer` may be the caller's Buffer, whose slice() would only be a view.
    this.#buffer = at === buffer.length ? new Uint8Array(0) : new Uint8Array(buffer.subarray(at));
    return frames;
  }
}
