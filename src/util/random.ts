/**
 * Random bytes for protocol fields (STUN transaction ids, ICE credentials and tie-breakers, DTLS randoms,
 * SCTP tags and cookie secrets) from node:crypto's generator, drawn 4 KiB at a time. Each randomBytes call
 * crosses into C++ and OpenSSL's generator (2-9 µs here), and setting up one connection asks for about
 * twenty small values; Node's randomUUID buffers its randomness the same way. Bytes handed out are copies,
 * and zeroed in the pool, so no secret stays behind in it.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let next = POOL_BYTES;

/** `length` random bytes in a new array; lengths above the pool's size come straight from node:crypto. */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_BYTES) return randomFillSync(new Uint8Array(length));
  if (next + length > POOL_BYTES) {
    randomFillSync(pool);
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
