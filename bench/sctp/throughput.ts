/**
 * SCTP throughput between two associations in one process over an in-memory link (real clock, no loss,
 * no DTLS): the ceiling the DTLS and UDP layers add their costs to.
 *
 *   node --import tsx bench/sctp/throughput.ts [--seconds 3] [--checksum]
 *
 * Reports MB/s (10^6 bytes) for 16 KiB and 64 KiB messages and messages/s for 100-byte messages, each
 * with backpressure (the sender keeps about 1 MiB queued, topping up on buffered-amount callbacks).
 * werift's SCTP (from npm, when installed) runs the same link side by side, sending as its data channels
 * do: each send awaited before the next. Each figure also comes per CPU-second of this process, which
 * stays comparable when other processes share the cores.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { SctpAssociation } from '../../src/sctp/index.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, checksum: { type: 'boolean', default: false } },
});
const seconds = Number(values.seconds);
const HIGH_WATER = 1 << 20;

interface Figures {
  bytesPerSecond: number;
  messagesPerSecond: number;
  bytesPerCpuSecond: number;
  messagesPerCpuSecond: number;
}

/**
 * Delivers each direction's packets on setImmediate, at most READ_BATCH per turn and direction, like a
 * UDP socket's read loop (libuv reads a bounded number of datagrams per poll), so both ends interleave.
 */
const READ_BATCH = 32;

class ImmediateLink {
  #queues: [Uint8Array[], Uint8Array[]] = [[], []];
  #heads = [0, 0];
  #scheduled = false;
  receivers: [(p: Uint8Array) => void, (p: Uint8Array) => void] = [() => {}, () => {}];

  sender(to: 0 | 1): { send(packet: Uint8Array): void } {
    return {
      send: (packet) => {
        this.#queues[to].push(packet.slice());
        this.#schedule();
      },
    };
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#deliver());
  }

  #deliver(): void {
    this.#scheduled = false;
    for (const side of [0, 1] as const) {
      const queue = this.#queues[side];
      const end = Math.min(queue.length, this.#heads[side]! + READ_BATCH);
      for (let i = this.#heads[side]!; i < end; i++) this.receivers[side](queue[i]!);
      this.#heads[side] = end;
      if (end === queue.length) {
        this.#queues[side] = [];
        this.#heads[side] = 0;
      }
    }
    if (this.#queues[0].length > 0 || this.#queues[1].length > 0) this.#schedule();
  }
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function connectedPair(): Promise<{ a: SctpAssociation; b: SctpAssociation }> {
  const link = new ImmediateLink();
  const options = { zeroChecksum: !values.checksum };
  const a = new SctpAssociation({ ...options, transport: link.sender(1) });
  const b = new SctpAssociation({ ...options, transport: link.sender(0) });
  link.receivers = [(p) => a.receive(p), (p) => b.receive(p)];
  const opened = Promise.all([
    new Promise<void>((resolve) => {
      a.handlers.onOpen = resolve;
    }),
    new Promise<void>((resolve) => {
      b.handlers.onOpen = resolve;
    }),
  ]);
  a.connect();
  b.connect();
  await opened;
  return { a, b };
}

async function run(messageSize: number, durationSeconds = seconds): Promise<Figures> {
  const { a, b } = await connectedPair();
  const payload = new Uint8Array(messageSize).fill(7);
  let received = 0;
  let receivedBytes = 0;
  let stop = false;
  b.handlers.onMessage = (_stream, _ppid, data) => {
    received++;
    receivedBytes += data.length;
  };
  const topUp = () => {
    if (stop) return;
    while (a.bufferedAmount(1) < HIGH_WATER) a.send(1, 53, payload);
  };
  a.handlers.onBufferedAmount = topUp;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  topUp();
  await new Promise((resolve) => setTimeout(resolve, durationSeconds * 1000));
  stop = true;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuBefore);
  a.abort();
  b.abort();
  return {
    bytesPerSecond: receivedBytes / elapsed,
    messagesPerSecond: received / elapsed,
    bytesPerCpuSecond: receivedBytes / cpu,
    messagesPerCpuSecond: received / cpu,
  };
}

interface WeriftSctp {
  start(remotePort?: number): Promise<void>;
  send(streamId: number, ppid: number, data: Buffer): Promise<void>;
  stop(): Promise<void>;
  onReceive: { subscribe(handler: (streamId: number, ppid: number, data: Buffer) => void): void };
  stateChanged: { connected: { subscribe(handler: () => void): void } };
}
type WeriftTransport = { onData?: (data: Buffer) => void; send(data: Buffer): Promise<void>; close(): void };
type WeriftSctpClass = {
  client(transport: WeriftTransport, port?: number): WeriftSctp;
  server(transport: WeriftTransport, port?: number): WeriftSctp;
};

/** werift keeps its SCTP layer out of the package exports; load the built module by path. */
function loadWerift(): WeriftSctpClass | undefined {
  const require = createRequire(import.meta.url);
  try {
    const root = require.resolve('werift').replace(/lib[/\\]webrtc[/\\]src[/\\]index\.js$/, '');
    return (require(`${root}lib/sctp/src/index.js`) as { SCTP: WeriftSctpClass }).SCTP;
  } catch {
    return undefined;
  }
}

async function runWerift(SCTP: WeriftSctpClass, messageSize: number): Promise<Figures> {
  const link = new ImmediateLink();
  const toB = link.sender(1);
  const toA = link.sender(0);
  const transportA: WeriftTransport = { send: async (data) => toB.send(data), close: () => {} };
  const transportB: WeriftTransport = { send: async (data) => toA.send(data), close: () => {} };
  link.receivers = [
    (p) => transportA.onData?.(Buffer.from(p.buffer, p.byteOffset, p.length)),
    (p) => transportB.onData?.(Buffer.from(p.buffer, p.byteOffset, p.length)),
  ];
  const a = SCTP.client(transportA, 5000);
  const b = SCTP.server(transportB, 5000);
  const connected = new Promise<void>((resolve) => a.stateChanged.connected.subscribe(resolve));
  await b.start(5000);
  await a.start(5000);
  await connected;
  let received = 0;
  let receivedBytes = 0;
  b.onReceive.subscribe((_stream, _ppid, data) => {
    received++;
    receivedBytes += data.length;
  });
  const payload = Buffer.alloc(messageSize, 7);
  let stop = false;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const sending = (async () => {
    while (!stop) await a.send(1, 53, payload);
  })();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stop = true;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuBefore);
  await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, 1000))]);
  await a.stop().catch(() => {});
  await b.stop().catch(() => {});
  return {
    bytesPerSecond: receivedBytes / elapsed,
    messagesPerSecond: received / elapsed,
    bytesPerCpuSecond: receivedBytes / cpu,
    messagesPerCpuSecond: received / cpu,
  };
}

const command = `node --import tsx bench/sctp/throughput.ts --seconds ${seconds}${values.checksum ? ' --checksum' : ''}`;
console.log(`# ${command}`);
console.log(
  `# checksums: ${values.checksum ? 'CRC32c on every packet' : 'RFC 9653 zero checksum (as over DTLS)'}`,
);

function report(name: string, size: number, result: Figures): void {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  if (size >= 1024) {
    console.log(
      `${name}, ${size / 1024} KiB messages: ${mb(result.bytesPerSecond)} MB/s (${mb(result.bytesPerCpuSecond)} MB per CPU-second)`,
    );
  } else {
    console.log(
      `${name}, ${size}-byte messages: ${Math.round(result.messagesPerSecond)} messages/s (${Math.round(result.messagesPerCpuSecond)} per CPU-second)`,
    );
  }
}

// A short unmeasured run first, so the JIT has compiled the hot paths before any figure is taken.
await run(16 * 1024, 0.5);
const werift = loadWerift();
for (const size of [16 * 1024, 64 * 1024, 100]) {
  report('dyad', size, await run(size));
  if (werift) report('werift', size, await runWerift(werift, size));
}
if (!werift) console.log('werift: not installed, skipped');
process.exit(0);
