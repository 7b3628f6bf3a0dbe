/**
 * Streaming SHA-256 (FIPS 180-4) for files that are never held whole in memory. WebCrypto's digest() takes
 * one buffer only, so the incremental hash comes from @noble/hashes (audited, no dependencies), which also
 * runs unchanged in Node for a command-line peer.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export class StreamingSha256 {
  readonly #hash: ReturnType<typeof sha256.create>;
  #bytes = 0;

  constructor(from?: StreamingSha256) {
    this.#hash = from ? from.#hash.clone() : sha256.create();
    this.#bytes = from ? from.#bytes : 0;
  }

  /** Bytes hashed so far. */
  get length(): number {
    return this.#bytes;
  }

  update(data: Uint8Array): this {
    this.#hash.update(data);
    this.#bytes += data.length;
    return this;
  }

  /** An independent copy of the state, to resume hashing from this point later. */
  clone(): StreamingSha256 {
    return new StreamingSha256(this);
  }

  /** Lower-case hex digest; does not disturb this hasher (it digests a copy). */
  hex(): string {
    return bytesToHex(this.#hash.clone().digest());
  }
}

export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}
