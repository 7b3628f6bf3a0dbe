/**
 * The TLS 1.2 pseudorandom function and the secrets derived from it: P_hash over HMAC (RFC 5246 §5),
 * the extended master secret (RFC 7627 §4), key expansion (RFC 5246 §6.3), Finished verify_data
 * (RFC 5246 §7.4.9) and the keying material exporter (RFC 5705 §4).
 */
import { createHash, createHmac } from 'node:crypto';

export type PrfHash = 'sha256' | 'sha384';

const encoder = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ..., A(i) = HMAC(secret, A(i-1)). */
function pHash(hash: PrfHash, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a: Uint8Array = seed;
  let at = 0;
  while (at < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** PRF(secret, label, seed) = P_<hash>(secret, label + seed) (RFC 5246 §5). */
export function prf(
  hash: PrfHash,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  return pHash(hash, secret, concat(encoder.encode(label), seed), length);
}

export function transcriptHash(hash: PrfHash, messages: Uint8Array[]): Uint8Array {
  const digest = createHash(hash);
  for (const message of messages) digest.update(message);
  return digest.digest();
}

export const MASTER_SECRET_LENGTH = 48;

/** RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]. */
export function extendedMasterSecret(
  hash: PrfHash,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/** RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random). */
export function keyBlock(
  hash: PrfHash,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array {
  return prf(hash, masterSecret, 'key expansion', concat(serverRandom, clientRandom), length);
}

export const VERIFY_DATA_LENGTH = 12;

/** RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]. */
export function finishedVerifyData(
  hash: PrfHash,
  masterSecret: Uint8Array,
  sender: 'client' | 'server',
  handshakeHash: Uint8Array,
): Uint8Array {
  return prf(hash, masterSecret, `${sender} finished`, handshakeHash, VERIFY_DATA_LENGTH);
}

/** Labels the PRF already uses; RFC 5705 §4 forbids exporting under them. */
const reservedLabels = new Set([
  'client finished',
  'server finished',
  'master secret',
  'key expansion',
  'extended master secret',
]);

/**
 * RFC 5705 §4: PRF(master_secret, label, client_random + server_random [+ context_length + context]).
 */
export function exportKeyingMaterial(
  hash: PrfHash,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  length: number,
  context?: Uint8Array,
): Uint8Array {
  if (reservedLabels.has(label)) throw new RangeError(`exporter label "${label}" is reserved (RFC 5705 §4)`);
  if (!Number.isInteger(length) || length < 1 || length > 65535) throw new RangeError('bad exporter length');
  let seed = concat(clientRandom, serverRandom);
  if (context) {
    if (context.length > 65535) throw new RangeError('exporter context longer than 65535 bytes');
    seed = concat(seed, Uint8Array.of(context.length >>> 8, context.length & 0xff), context);
  }
  return prf(hash, masterSecret, label, seed, length);
}

export { concat as concatBytes };
