/**
 * A signaling server that splices itself in: it puts the receiver in another room, where a
 * man-in-the-middle answers both sides with its own DTLS certificates and relays every data-channel
 * message between them. DTLS succeeds on both legs, so only the pairing proof (docs/file-transfer.md §9)
 * can notice; both commands must stop with the proof's sentence (exit 4) and no file byte may arrive.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import {
  type DyadCall,
  joinRoom,
  type PeerConnectionConstructor,
  type WebSocketConstructor,
} from '../../src/client/index.ts';
import { type RTCConfiguration, type RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { startServer } from '../../src/server/index.ts';
import { LoopbackIceTransport } from '../support/loopback-ice.ts';
import { exitWithin, receiveArgs, runDyad, stopAfter, tempDir, writeRandomFile } from './transfer-harness.ts';

class LoopbackPeerConnection extends RTCPeerConnection {
  constructor(configuration?: RTCConfiguration) {
    super(configuration, { iceTransport: new LoopbackIceTransport(), includeLoopback: true });
  }
}

/** A WebSocket proxy to the real server that moves the second client to room `${room}-spliced`. */
async function splicingProxy(t: { after(fn: () => Promise<void>): void }, upstream: string) {
  const proxy = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(proxy, 'listening');
  let clients = 0;
  let room: string | undefined;
  proxy.on('connection', (client) => {
    const second = ++clients === 2;
    const server = new WebSocket(upstream);
    const queued: string[] = [];
    const rewrite = (text: string, from: string | undefined, to: string | undefined) => {
      const message = JSON.parse(text) as { streamId?: string };
      room ??= message.streamId;
      if (second && from && message.streamId === from) message.streamId = to;
      return JSON.stringify(message);
    };
    client.on('message', (data) => {
      const text = rewrite(String(data), room, `${room}-spliced`);
      if (server.readyState === WebSocket.OPEN) server.send(text);
      else queued.push(text);
    });
    server.on('open', () => {
      for (const text of queued.splice(0)) server.send(text);
    });
    server.on('message', (data) => client.send(rewrite(String(data), `${room}-spliced`, room)));
    server.on('close', () => client.close());
    client.on('close', () => server.close());
  });
  t.after(async () => {
    for (const client of proxy.clients) client.terminate();
    await new Promise((resolve) => proxy.close(resolve));
  });
  return `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
}

/** One leg of the middle: joins `room` and hands its `dyad-files` channel over once open. */
async function middleLeg(wsUrl: string, room: string, onChannel: (channel: RTCDataChannel) => void) {
  return joinRoom(wsUrl, room, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    RTCPeerConnection: LoopbackPeerConnection as unknown as PeerConnectionConstructor,
    iceServers: [],
    reconnect: false,
    createDataChannels: (pc) => {
      const channel = pc.createDataChannel('dyad-files', {
        negotiated: true,
        id: 1,
      }) as unknown as RTCDataChannel;
      channel.binaryType = 'arraybuffer';
      channel.addEventListener('open', () => onChannel(channel));
    },
  });
}

test('a signaling server that splices itself in with its own certificates fails the proof; both sides stop', async (t) => {
  const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  t.after(() => server.close());
  const proxyUrl = await splicingProxy(t, server.wsUrl());
  const src = tempDir(t, 'dyad-send-');
  const out = tempDir(t, 'dyad-receive-');
  writeRandomFile(src, 'secret-plans.bin', 500_000);

  const sender = stopAfter(
    t,
    runDyad(['send', join(src, 'secret-plans.bin'), '--server', proxyUrl, '--json']),
  );
  const ready = await sender.waitFor('ready');
  const room = ready['room'] as string;

  // The middle: one leg with the sender in its room, one in the room the receiver is moved to; every
  // message of one channel is relayed to the other, proofs included.
  const legs: RTCDataChannel[] = [];
  const relayed: string[] = [];
  const pending: (string | ArrayBuffer)[][] = [[], []];
  const connect = (index: number) => (channel: RTCDataChannel) => {
    legs[index] = channel;
    channel.addEventListener('message', (event) => {
      const data = (event as MessageEvent<string | ArrayBuffer>).data;
      if (typeof data === 'string') relayed.push(data);
      const other = legs[1 - index];
      if (other?.readyState === 'open') other.send(data as string);
      else if (other)
        return; // that leg closed: the side behind it gave up
      else pending[1 - index]!.push(data);
    });
    for (const data of pending[index]!.splice(0)) channel.send(data as string);
  };
  const calls: DyadCall[] = [
    await middleLeg(server.wsUrl(), room, connect(0)),
    await middleLeg(server.wsUrl(), `${room}-spliced`, connect(1)),
  ];
  t.after(() => {
    for (const call of calls) call.leave();
  });

  const receiver = stopAfter(t, runDyad(['receive', ...receiveArgs(ready), '--out', out, '--yes', '--json']));
  assert.equal(await exitWithin(receiver, 60_000), 4, receiver.stderr());
  assert.equal(await exitWithin(sender, 15_000), 4, sender.stderr());
  for (const run of [receiver, sender])
    assert.match(
      run.stderr(),
      /The other side did not prove that it knows this transfer's code \(its proof does not match\)/,
    );
  assert.ok(
    relayed.some((text) => text.includes('"type":"proof"')),
    'the proofs went through the middle',
  );
  assert.ok(!relayed.some((text) => text.includes('"type":"offer"')), 'no offer (no name) crossed');
  assert.deepEqual(readdirSync(out), []);
  assert.equal(
    receiver.events.find((e) => e.event === 'offer'),
    undefined,
  );
});
