/**
 * Random bytes for protocol fields (STUN transaction ids, ICE credentials and tie-breakers, DTLS randoms,
 * SCTP tags and cookie secrets) from the platform's cryptographic generator, drawn 4 KiB at a time. Each
 * call crosses into C++ and OpenSSL's generator (2-9 µs here), and setting up one connection asks for about
 * twenty small values; Node's randomUUID buffers its randomness the same way. Bytes handed out are copies,
 * and zeroed in the pool, so no secret stays behind in it. The generator is Web Crypto's getRandomValues
 * (node:crypto's webcrypto in Node, the browser's own in a page): util is also bundled for browsers.
 */

/** Web Crypto fills at most 65,536 bytes per call. */
const MAX_FILL = 65_536;

function fillRandom(bytes: Uint8Array): Uint8Array {
  for (let at = 0; at < bytes.length; at += MAX_FILL) {
    globalThis.crypto.getRandomValues(bytes.subarray(at, at + MAX_FILL));
  }
  return bytes;
}

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let next = POOL_BYTES;

/** `length` random bytes in a new array; lengths above the pool's size come straight from the generator. */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_BYTES) return fillRandom(new Uint8Array(length));
  if (next + length > POOL_BYTES) {
    fillRandom(pool);
    next = 0;
  }
  const bytes = pool.slice(next, next + length);
  pool.fill(0, next, next + length);
  next += length;
  return bytes;
}

/** A random unsigned 32-bit integer. */
export function randomUint32(): number {
  const bytes = randomBytes(4);
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
