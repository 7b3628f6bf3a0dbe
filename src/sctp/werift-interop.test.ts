/**
 * Interop with another implementation: werift's SCTP (TypeScript, derived from aiortc), from npm,
 * over an in-memory datagram link in real time. It speaks DATA (no I-DATA) and CRC32c (no RFC 9653), so
 * this also checks our checksums and chunk layouts against an independent codec.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { SctpAssociation } from './association.ts';

interface WeriftTransport {
  onData?: (data: Buffer) => void;
  send(data: Buffer): Promise<void>;
  close(): void;
}

interface WeriftSctp {
  start(remotePort?: number): Promise<void>;
  send(
    streamId: number,
    ppid: number,
    data: Buffer,
    options?: { ordered?: boolean; maxRetransmits?: number },
  ): Promise<void>;
  /** werift's data channel close path: queue the stream, then send the Outgoing SSN Reset Request. */
  reconfigQueue: number[];
  transmitReconfigRequest(): Promise<void>;
  stop(): Promise<void>;
  onReceive: { subscribe(handler: (streamId: number, ppid: number, data: Buffer) => void): void };
  onReconfigStreams: { subscribe(handler: (streams: number[]) => void): void };
  stateChanged: { connected: { subscribe(handler: () => void): void } };
  state: string;
}

type WeriftModule = {
  SCTP: {
    client(transport: WeriftTransport, port?: number): WeriftSctp;
    server(transport: WeriftTransport, port?: number): WeriftSctp;
  };
};

/** werift does not export its SCTP layer from the package root; load the built module by path. */
function loadWerift(): WeriftModule | undefined {
  const require = createRequire(import.meta.url);
  try {
    const root = require.resolve('werift').replace(/lib[/\\]webrtc[/\\]src[/\\]index\.js$/, '');
    return require(`${root}lib/sctp/src/index.js`) as WeriftModule;
  } catch {
    return undefined;
  }
}

function link(
  ours: () => SctpAssociation,
  drop: () => boolean = () => false,
): { dyad: { send(packet: Uint8Array): void }; werift: WeriftTransport } {
  const werift: WeriftTransport = {
    send: async (data) => {
      if (drop()) return;
      const copy = new Uint8Array(data);
      setImmediate(() => ours().receive(copy));
    },
    close: () => {},
  };
  return {
    dyad: {
      send: (packet) => {
        if (drop()) return;
        const copy = Buffer.from(packet);
        setImmediate(() => werift.onData?.(copy));
      },
    },
    werift,
  };
}

const werift = loadWerift();

for (const dyadStarts of [true, false]) {
  test(`Dyad ⇄ werift SCTP: handshake (${dyadStarts ? 'Dyad' : 'werift'} sends INIT), messages both ways, stream reset`, {
    skip: werift ? false : 'werift is not installed (npm i -D werift)',
    timeout: 30_000,
  }, async () => {
    let dyad!: SctpAssociation;
    const wire = link(() => dyad);
    dyad = new SctpAssociation({ transport: wire.dyad });
    const peer = dyadStarts ? werift!.SCTP.server(wire.werift, 5000) : werift!.SCTP.client(wire.werift, 5000);
    try {
      await exchange(dyad, peer, dyadStarts);
    } finally {
      dyad.abort();
      await peer.stop().catch(() => {});
    }
  });
}

async function exchange(dyad: SctpAssociation, peer: WeriftSctp, dyadStarts: boolean): Promise<void> {
  const fromWerift: Array<[number, number, Uint8Array]> = [];
  const fromDyad: Array<[number, number, Buffer]> = [];
  const resetByWerift: number[][] = [];
  peer.onReceive.subscribe((streamId, ppid, data) => fromDyad.push([streamId, ppid, data]));
  peer.onReconfigStreams.subscribe((streams) => resetByWerift.push(streams));
  dyad.handlers.onMessage = (streamId, ppid, data) => fromWerift.push([streamId, ppid, data.slice()]);
  const resetOnDyad: Array<[number[], string]> = [];
  dyad.handlers.onStreamsReset = (ids, direction) => resetOnDyad.push([ids, direction]);
  const opened = new Promise<void>((resolve) => {
    dyad.handlers.onOpen = resolve;
  });
  if (dyadStarts) {
    await peer.start(5000);
    dyad.connect();
  } else {
    await peer.start(5000);
  }
  await opened;
  await waitFor(() => peer.state === 'connected');
  assert.equal(dyad.negotiated?.interleaved, false);
  assert.equal(dyad.negotiated?.sendZeroChecksum, false);
  assert.equal(dyad.negotiated?.reconfig, true);

  const sizes = [1, 100, 1172, 1173, 20_000, 200_000];
  for (const size of sizes) dyad.send(1, 53, new Uint8Array(size).fill(size & 0xff));
  dyad.send(2, 51, new TextEncoder().encode('hello werift'));
  for (const size of sizes) void peer.send(3, 53, Buffer.alloc(size, size & 0xff));
  await waitFor(() => fromDyad.length === sizes.length + 1 && fromWerift.length === sizes.length);
  assert.deepEqual(
    fromDyad.filter(([stream]) => stream === 1).map(([, , data]) => data.length),
    sizes,
  );
  for (const [stream, , data] of fromDyad)
    if (stream === 1) assert.ok(data.every((byte) => byte === data[0]));
  for (const [, , data] of fromWerift) assert.ok(data.every((byte) => byte === data[0]));
  assert.equal(fromDyad.find(([stream]) => stream === 2)?.[2].toString(), 'hello werift');
  assert.deepEqual(
    fromWerift.map(([stream, ppid, data]) => [stream, ppid, data.length]),
    sizes.map((size) => [3, 53, size]),
  );

  // RFC 6525 both ways: our outgoing reset is seen by werift, and werift's by us.
  dyad.resetStreams([1]);
  await waitFor(
    () => resetByWerift.length > 0 && resetOnDyad.some(([, direction]) => direction === 'outgoing'),
  );
  assert.deepEqual(resetByWerift[0], [1]);
  peer.reconfigQueue.push(3);
  void peer.transmitReconfigRequest();
  await waitFor(() => resetOnDyad.some(([ids, direction]) => direction === 'incoming' && ids.includes(3)));
  // Stream 1 starts again at SSN 0 and still delivers.
  dyad.send(1, 51, new TextEncoder().encode('again'));
  await waitFor(() => fromDyad.length === sizes.length + 2);
  assert.equal(fromDyad.at(-1)![2].toString(), 'again');
}

test('Dyad ⇄ werift SCTP through 3% loss: gap reports and retransmissions interoperate both ways', {
  skip: werift ? false : 'werift is not installed (npm i -D werift)',
  timeout: 60_000,
}, async () => {
  let dyad!: SctpAssociation;
  let counter = 0;
  // Deterministic loss: every 33rd packet in each direction is dropped.
  const wire = link(
    () => dyad,
    () => ++counter % 33 === 0,
  );
  dyad = new SctpAssociation({ transport: wire.dyad, rto: { minMs: 200, initialMs: 500 } });
  const peer = werift!.SCTP.server(wire.werift, 5000);
  try {
    const opened = new Promise<void>((resolve) => {
      dyad.handlers.onOpen = resolve;
    });
    await peer.start(5000);
    dyad.connect();
    await opened;
    await waitFor(() => peer.state === 'connected');
    let toWerift = 0;
    let toDyad = 0;
    let inOrder = true;
    peer.onReceive.subscribe((_stream, _ppid, data) => {
      if (data[0] !== (toWerift & 0xff)) inOrder = false;
      toWerift++;
    });
    dyad.handlers.onMessage = (_stream, _ppid, data) => {
      if (data[0] !== (toDyad & 0xff)) inOrder = false;
      toDyad++;
    };
    for (let n = 0; n < 200; n++) {
      dyad.send(1, 53, new Uint8Array(2000).fill(n & 0xff));
      void peer.send(2, 53, Buffer.alloc(2000, n & 0xff));
    }
    await waitFor(() => toWerift === 200 && toDyad === 200, 50_000);
    assert.ok(inOrder, 'ordered delivery held through the losses');
  } finally {
    dyad.abort();
    await peer.stop().catch(() => {});
  }
});

async function waitFor(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the peer');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
