import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateCertificate } from '../dtls/index.ts';
import { CertificateReserve } from './certificate.ts';
import { RTCPeerConnection } from './peer-connection.ts';

function fakeGenerators() {
  const made = { onLoop: 0, inBackground: 0 };
  const background: { resolve(): void; reject(): void }[] = [];
  const options = {
    generate: () => {
      made.onLoop++;
      return generateCertificate();
    },
    generateInBackground: () => {
      made.inBackground++;
      return new Promise<ReturnType<typeof generateCertificate>>((resolve, reject) =>
        background.push({
          resolve: () => resolve(generateCertificate()),
          reject: () => reject(new Error('no')),
        }),
      );
    },
    spares: 2,
    maxAgeMs: 1000,
  };
  return { made, background, options };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a certificate reserve keeps its spares made in the background, one at a time', async () => {
  const { made, background, options } = fakeGenerators();
  const reserve = new CertificateReserve(options);
  const first = reserve.take(Date.now());
  assert.deepEqual(
    made,
    { onLoop: 1, inBackground: 1 },
    'nothing spare yet: made on the loop, refill started',
  );
  reserve.take(Date.now());
  assert.deepEqual(made, { onLoop: 2, inBackground: 1 }, 'one refill at a time');
  background.shift()!.resolve();
  await settle();
  assert.deepEqual(made, { onLoop: 2, inBackground: 2 }, 'the next spare follows the first');
  background.shift()!.resolve();
  await settle();
  assert.deepEqual(made, { onLoop: 2, inBackground: 2 }, 'two spares: no more');
  const spare = reserve.take(Date.now());
  reserve.take(Date.now());
  assert.deepEqual(made, { onLoop: 2, inBackground: 3 }, 'both spares used, the next one started');
  assert.notEqual(spare.fingerprint.value, first.fingerprint.value);
});

test('a certificate reserve drops spares older than its limit and survives a failed refill', async () => {
  const { made, background, options } = fakeGenerators();
  const reserve = new CertificateReserve(options);
  reserve.take(Date.now());
  background.shift()!.resolve();
  await settle();
  background.shift()!.resolve();
  await settle();
  reserve.take(Date.now() + 1001);
  assert.deepEqual(made, { onLoop: 2, inBackground: 3 }, 'stale spares are not handed out');
  background.shift()!.reject();
  await settle();
  reserve.take(Date.now());
  assert.deepEqual(
    made,
    { onLoop: 3, inBackground: 4 },
    'after a failed refill: made on the loop, refill again',
  );
});

test('connections configured without certificates each get their own', async () => {
  const fingerprints = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const pc = new RTCPeerConnection();
    fingerprints.add(pc.getConfiguration().certificates?.[0]?.getFingerprints()[0]?.value ?? '');
    pc.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(fingerprints.size, 4);
});
