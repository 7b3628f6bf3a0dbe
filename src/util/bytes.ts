/**
 * Bounded reading and writing of big-endian wire formats over Uint8Array. Decoders read through a
 * ByteReader so that a length field can never send them past the end of the input: every read checks
 * first and throws a TruncatedInputError that names what was being read.
 */
export class TruncatedInputError extends Error {
  override readonly name = 'TruncatedInputError';
  constructor(
    readonly field: string,
    readonly needed: number,
    readonly available: number,
  ) {
    super(`truncated input reading ${field}: needs ${needed} bytes, ${available} left`);
  }
}

export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = start;
    this.#end = Math.min(end, bytes.length);
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #need(n: number, field: string): number {
    if (n < 0 || this.#offset + n > this.#end) throw new TruncatedInputError(field, n, this.remaining);
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(field = 'uint8'): number {
    return this.#view.getUint8(this.#need(1, field));
  }

  u16(field = 'uint16'): number {
    return this.#view.getUint16(this.#need(2, field));
  }

  u24(field = 'uint24'): number {
    const at = this.#need(3, field);
    return (this.#view.getUint8(at) << 16) | this.#view.getUint16(at + 1);
  }

  u32(field = 'uint32'): number {
    return this.#view.getUint32(this.#need(4, field));
  }

  u48(field = 'uint48'): number {
    const at = this.#need(6, field);
    return this.#view.getUint16(at) * 2 ** 32 + this.#view.getUint32(at + 2);
  }

  u64(field = 'uint64'): bigint {
    return this.#view.getBigUint64(this.#need(8, field));
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, field = 'bytes'): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.subarray(at, at + n);
  }

  /** A reader over the next `n` bytes, advancing this one past them. */
  sub(n: number, field = 'nested'): ByteReader {
    const at = this.#need(n, field);
    return new ByteReader(this.#bytes, at, at + n);
  }

  skip(n: number, field = 'padding'): void {
    this.#need(n, field);
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }
}

/** Grows as needed; `finish()` returns a view of exactly what was written. */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#bytes = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + n));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length += n;
    return at;
  }

  u8(value: number): this {
    const at = this.#reserve(1);
    this.#view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    const at = this.#reserve(2);
    this.#view.setUint16(at, value);
    return this;
  }

  u24(value: number): this {
    const at = this.#reserve(3);
    this.#view.setUint8(at, (value >>> 16) & 0xff);
    this.#view.setUint16(at + 1, value & 0xffff);
    return this;
  }

  u32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, value >>> 0);
    return this;
  }

  u48(value: number): this {
    const at = this.#reserve(6);
    this.#view.setUint16(at, Math.floor(value / 2 ** 32));
    this.#view.setUint32(at + 2, value >>> 0);
    return this;
  }

  u64(value: bigint): this {
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, value);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.#reserve(data.length);
    this.#bytes.set(data, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.#reserve(n);
    this.#bytes.fill(0, at, this.#length);
    return this;
  }

  /** Overwrites a 16-bit value already written, e.g. a length known only after the body. */
  patchU16(at: number, value: number): this {
    this.#view.setUint16(at, value);
    return this;
  }

  patchU24(at: number, value: number): this {
    this.#view.setUint8(at, (value >>> 16) & 0xff);
    this.#view.setUint16(at + 1, value & 0xffff);
    return this;
  }

  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }
}
