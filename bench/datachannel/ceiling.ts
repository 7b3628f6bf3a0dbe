/**
 * What this machine allows a Node data path at WebRTC's 1,200-byte packets, whatever the SCTP stack above:
 *
 *   node --import tsx bench/datachannel/ceiling.ts [--mib 64]
 *
 * 1. One loopback datagram, sent and received on one event loop: CPU µs per datagram.
 * 2. One DTLS 1.2 AES-128-GCM record of a full packet, sealed and opened with node:crypto: µs each. A
 *    cipher object per record is the only way node:crypto offers (GCM takes its nonce at creation), so the
 *    fixed cost of creating one is paid per packet.
 * 3. The best split over threads: a sender thread that seals and sends, a receiver thread that receives and
 *    opens, the main thread only feeding and counting (shared-memory rings, no message per datagram).
 *    MB/s of payload with the AEAD and without it. No SCTP, no acknowledgements, no retransmission: a real
 *    stack can only be slower than this.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createSocket } from 'node:dgram';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { CeilingWorkerData } from './ceiling-worker.ts';
import { createDatagramRing, DatagramRing } from './datagram-ring.ts';

/**
 * Workers do not inherit tsx's loader (an --import in execArgv is not applied to them on Node 20), so each
 * one starts from a two-line module that registers tsx and then imports the TypeScript worker.
 */
const workerBoot = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\n` +
      `register();\nawait import(${JSON.stringify(new URL('./ceiling-worker.ts', import.meta.url).href)});`,
  )}`,
);

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' } } });
const TOTAL_BYTES = Number(values.mib) * 1024 * 1024;
/** The SCTP packet a 1,200-byte datagram carries after DTLS's 37 bytes (header, explicit nonce, tag). */
const PACKET = 1200 - 13 - 8 - 16;
/** Payload kept between feeding and counting in the pipeline, like a congestion window. */
const IN_FLIGHT_BYTES = 128 * 1024;

function cpuMicroseconds(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function datagramCost(count: number): Promise<number> {
  const lookup = (address: string, _family: unknown, callback: (e: null, a: string, f: number) => void) =>
    callback(null, address, 4);
  const receiver = createSocket({ type: 'udp4', lookup });
  const sender = createSocket({ type: 'udp4', lookup });
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
  const port = receiver.address().port;
  const datagram = Buffer.alloc(1200, 0x5a);
  const batch = 32;
  let received = 0;
  let sent = 0;
  const start = cpuMicroseconds();
  await new Promise<void>((resolve) => {
    const sendBatch = () => {
      for (let i = 0; i < batch && sent < count; i++, sent++) sender.send(datagram, port, '127.0.0.1');
    };
    receiver.on('message', () => {
      received++;
      if (received === sent) {
        if (sent >= count) resolve();
        else sendBatch();
      }
    });
    sendBatch();
  });
  const perDatagram = (cpuMicroseconds() - start) / count;
  sender.close();
  receiver.close();
  return perDatagram;
}

function aeadCost(count: number): { seal: number; open: number } {
  const key = Buffer.alloc(16, 3);
  const nonce = Buffer.alloc(12, 1);
  const aad = Buffer.alloc(13, 2);
  const plaintext = Buffer.alloc(PACKET, 4);
  let ciphertext = Buffer.alloc(0);
  let tag = Buffer.alloc(0);
  let start = performance.now();
  for (let i = 0; i < count; i++) {
    nonce.writeUIntBE(i, 6, 6);
    const cipher = createCipheriv('aes-128-gcm', key, nonce).setAAD(aad);
    ciphertext = cipher.update(plaintext);
    cipher.final();
    tag = cipher.getAuthTag();
  }
  const seal = ((performance.now() - start) * 1000) / count;
  start = performance.now();
  for (let i = 0; i < count; i++) {
    const decipher = createDecipheriv('aes-128-gcm', key, nonce).setAAD(aad).setAuthTag(tag);
    decipher.update(ciphertext);
    decipher.final();
  }
  return { seal, open: ((performance.now() - start) * 1000) / count };
}

async function pipeline(
  aead: boolean,
): Promise<{ megabytesPerSecond: number; cpuSeconds: number; arrived: number }> {
  const toSender = createDatagramRing(4 << 20);
  const fromReceiver = createDatagramRing(8 << 20);
  const start = (data: CeilingWorkerData) => new Worker(workerBoot, { workerData: data });
  const receiver = start({ role: 'receiver', ring: fromReceiver, aead });
  const { port } = await new Promise<{ port: number }>((resolve) => receiver.once('message', resolve));
  const sender = start({ role: 'sender', ring: toSender, aead, port });
  await new Promise((resolve) => sender.once('message', resolve));
  const outgoing = new DatagramRing(toSender);
  const incoming = new DatagramRing(fromReceiver);
  const packet = new Uint8Array(PACKET);
  const numbered = new DataView(packet.buffer);
  const packets = Math.ceil(TOTAL_BYTES / PACKET);
  // Packets carry their number: what is in flight is counted from the newest one that arrived, so a
  // datagram loopback dropped (a full receive buffer) does not hold the window forever.
  let fed = 0;
  let newest = -1;
  let counted = 0;
  const windowPackets = Math.floor(IN_FLIGHT_BYTES / PACKET);
  const startedAt = performance.now();
  const cpuBefore = cpuMicroseconds();
  while (newest < packets - 1) {
    while (fed < packets && fed - newest <= windowPackets) {
      numbered.setUint32(0, fed);
      if (!outgoing.push(packet)) break;
      fed++;
    }
    outgoing.publish();
    const seen = incoming.published;
    incoming.drain((datagram) => {
      counted += datagram.length;
      newest = Math.max(newest, new DataView(datagram.buffer, datagram.byteOffset, 4).getUint32(0));
    });
    if (newest >= packets - 1) break;
    // The last packets may be lost too: give up waiting for them after 100 ms without news.
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 100, 'timeout').unref());
    if ((await Promise.race([incoming.waitForMore(seen), timeout])) === 'timeout' && fed === packets) break;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuSeconds = (cpuMicroseconds() - cpuBefore) / 1e6;
  await Promise.all([sender.terminate(), receiver.terminate()]);
  return { megabytesPerSecond: counted / 1e6 / seconds, cpuSeconds, arrived: counted / (packets * PACKET) };
}

console.log(
  `# node --import tsx bench/datachannel/ceiling.ts --mib ${values.mib}  (node ${process.version}, ` +
    `${os.availableParallelism()} cores)`,
);
const perDatagram = await datagramCost(50_000);
console.log(
  `loopback datagram of 1,200 bytes, sent and received on one thread: ${perDatagram.toFixed(1)} µs CPU`,
);
const { seal, open } = aeadCost(50_000);
console.log(
  `AES-128-GCM record of ${PACKET} bytes with node:crypto: seal ${seal.toFixed(2)} µs, open ${open.toFixed(2)} µs`,
);
for (const aead of [true, false]) {
  const best = { megabytesPerSecond: 0, cpuSeconds: 0, arrived: 0 };
  for (let run = 0; run < 3; run++) {
    const result = await pipeline(aead);
    if (result.megabytesPerSecond > best.megabytesPerSecond) Object.assign(best, result);
  }
  console.log(
    `sender thread ${aead ? 'seal + send' : 'send'}, receiver thread ${aead ? 'receive + open' : 'receive'}: ` +
      `${best.megabytesPerSecond.toFixed(1)} MB/s of payload (best of 3; ${best.cpuSeconds.toFixed(2)} s CPU, ` +
      `${(100 * best.arrived).toFixed(1)}% of ${values.mib} MiB arrived)`,
  );
}
process.exit(0);
