/**
 * Record layer throughput: our seal (AEAD + header) and open (parse + AEAD) against raw node:crypto
 * AES-128-GCM encrypt + decrypt of the same payloads, in one run. The bar: within 20%.
 *
 *   node --import tsx bench/dtls/record.ts [seconds-per-case]
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CipherSuites } from '../../src/dtls/ciphersuites.ts';
import { decodeRecords } from '../../src/dtls/record.ts';
import { RecordCipher } from '../../src/dtls/recordcipher.ts';

const secondsPerCase = Number(process.argv[2] ?? 2);
const suite = CipherSuites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const key = randomBytes(16);
const salt = randomBytes(4);
const ours = new RecordCipher(suite, { key, iv: salt }, { key, iv: salt });

const ROUNDS = 6;

/** MB/s of `run` over one slice of time. */
function slice(run: () => number, ms: number): number {
  let bytes = 0;
  const start = performance.now();
  let now = start;
  while (now < start + ms) {
    for (let i = 0; i < 100; i++) bytes += run();
    now = performance.now();
  }
  return bytes / 1e6 / ((now - start) / 1000);
}

/**
 * The machine is shared, so the two contenders run in alternating slices and each keeps its best slice:
 * interference from other processes lowers a slice, it never raises one.
 */
function compare(a: () => number, b: () => number): [number, number] {
  const ms = (secondsPerCase * 1000) / (2 * ROUNDS);
  let bestA = 0;
  let bestB = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestA = Math.max(bestA, slice(a, ms));
    bestB = Math.max(bestB, slice(b, ms));
  }
  return [bestA, bestB];
}

console.log(`# node --import tsx bench/dtls/record.ts ${secondsPerCase}  (node ${process.version})`);
console.log('payload  raw AES-128-GCM enc+dec MB/s  DTLS record seal+open MB/s  ratio');
for (const size of [100, 1200, 16384]) {
  const payload = randomBytes(size);
  let sequence = 0;
  const nonce = Buffer.alloc(12);
  const aad = Buffer.alloc(13);
  // Raw: the same AEAD work a record needs (nonce, 13-byte AAD, tag), nothing else.
  const rawRun = () => {
    nonce.writeUIntBE(++sequence, 6, 6);
    const cipher = createCipheriv('aes-128-gcm', key, nonce);
    cipher.setAAD(aad);
    const ciphertext = cipher.update(payload);
    cipher.final();
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv('aes-128-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    decipher.update(ciphertext);
    decipher.final();
    return size;
  };
  const recordRun = () => {
    const sealed = ours.seal(23, 0xfefd, 1, ++sequence, payload);
    const [parsed] = decodeRecords(sealed);
    ours.open(parsed!);
    return size;
  };
  const [raw, record] = compare(rawRun, recordRun);
  console.log(
    `${String(size).padStart(7)}  ${raw.toFixed(1).padStart(30)}  ${record.toFixed(1).padStart(26)}  ${(record / raw).toFixed(2)}`,
  );
}
