/**
 * One end of the ceiling benchmark's pipeline, in a worker thread: the sender seals each datagram from its
 * ring as a DTLS 1.2 AES-128-GCM record would be sealed and sends it over loopback UDP; the receiver opens
 * what arrives and queues the plaintext for the main thread. `aead: false` leaves the crypto out.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { DatagramRing, type DatagramRingMemory } from './datagram-ring.ts';

export interface CeilingWorkerData {
  role: 'sender' | 'receiver';
  ring: DatagramRingMemory;
  aead: boolean;
  /** The receiver's port (sender only). */
  port?: number;
}

const HEADER = 13;
const EXPLICIT_NONCE = 8;
const TAG = 16;
const { role, ring: memory, aead, port } = workerData as CeilingWorkerData;
const ring = new DatagramRing(memory);
const key = Buffer.alloc(16, 7);
const nonce = Buffer.alloc(12, 1);
const socket = createSocket({
  type: 'udp4',
  lookup: (address, _family, callback) => callback(null, address, 4),
});
socket.on('error', () => {});

if (role === 'sender') {
  let sequence = 0;
  const seal = (plaintext: Uint8Array): Uint8Array => {
    const record = Buffer.allocUnsafe(HEADER + EXPLICIT_NONCE + plaintext.length + TAG);
    record.fill(0, 0, HEADER);
    record.writeUInt16BE(EXPLICIT_NONCE + plaintext.length + TAG, 11);
    nonce.writeUIntBE(++sequence, 6, 6);
    nonce.copy(record, HEADER, 4);
    const cipher = createCipheriv('aes-128-gcm', key, nonce).setAAD(record.subarray(0, HEADER));
    cipher.update(plaintext).copy(record, HEADER + EXPLICIT_NONCE);
    cipher.final();
    cipher.getAuthTag().copy(record, record.length - TAG);
    return record;
  };
  const pump = async () => {
    for (;;) {
      const seen = ring.published;
      ring.drain((plaintext) =>
        socket.send(aead ? seal(plaintext) : Buffer.from(plaintext), port!, '127.0.0.1'),
      );
      await ring.waitForMore(seen);
    }
  };
  socket.bind(0, '127.0.0.1', () => {
    parentPort!.postMessage({ ready: true });
    void pump();
  });
} else {
  const open = (record: Buffer): Buffer => {
    record.copy(nonce, 4, HEADER, HEADER + EXPLICIT_NONCE);
    const decipher = createDecipheriv('aes-128-gcm', key, nonce)
      .setAAD(record.subarray(0, HEADER))
      .setAuthTag(record.subarray(record.length - TAG));
    const plaintext = decipher.update(record.subarray(HEADER + EXPLICIT_NONCE, record.length - TAG));
    decipher.final();
    return plaintext;
  };
  let publishing = false;
  socket.on('message', (datagram) => {
    // A full ring drops the datagram, as a full socket buffer would.
    ring.push(aead ? open(datagram) : datagram);
    if (!publishing) {
      publishing = true;
      setImmediate(() => {
        publishing = false;
        ring.publish();
      });
    }
  });
  socket.bind(0, '127.0.0.1', () => parentPort!.postMessage({ port: socket.address().port }));
}
