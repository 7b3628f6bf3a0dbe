/**
 * Regression tests for what the peer door (fuzz/doors/peer.ts) and its review found in the data channel
 * layer: a DATA_CHANNEL_OPEN that made the packet's processing throw, and deprecated partial messages
 * held without limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../sctp/index.ts';
import { encodeDcepOpen, Ppid } from './dcep.ts';
import { ChannelPair } from './test-channels.ts';

/** Rewrites the inbound stream count (MIS, RFC 9260 §3.3.2) of INIT and INIT ACK chunks, fixing the CRC32c. */
function announceInboundStreams(packet: Uint8Array, streams: number): Uint8Array {
  if (packet[12] !== 1 && packet[12] !== 2) return packet;
  const copy = packet.slice();
  const view = new DataView(copy.buffer);
  view.setUint16(26, streams);
  view.setUint32(8, 0);
  view.setUint32(8, crc32c(copy), true);
  return copy;
}

test('a DATA_CHANNEL_OPEN on a stream we cannot send on is ignored instead of throwing', async () => {
  const pair = new ChannelPair();
  // B announces 16 inbound streams but sends on all 65535 (RFC 9260 §5.1.1 lets the counts differ).
  pair.sctp.link.attach(
    (packet) => pair.sctp.a.receive(announceInboundStreams(packet, 16)),
    (packet) => pair.sctp.b.receive(packet),
  );
  await pair.connect();
  assert.equal(pair.sctp.a.negotiated?.outboundStreams, 16);
  // Before: A's DATA_CHANNEL_ACK on stream 101 threw a RangeError out of A's receive(), which over a
  // real socket reached the process as an uncaughtException.
  pair.sctp.b.send(
    101,
    Ppid.DCEP,
    encodeDcepOpen({ ordered: true, priority: 256, label: 'x', protocol: '' }),
  );
  pair.sctp.b.send(3, Ppid.DCEP, encodeDcepOpen({ ordered: true, priority: 256, label: 'y', protocol: '' }));
  await pair.runUntil(() => pair.openedOnA.length === 1);
  assert.deepEqual(
    pair.openedOnA.map((channel) => [channel.id, channel.label]),
    [[3, 'y']],
  );
  assert.equal(pair.sctp.a.state, 'established');
});

test('deprecated partial messages are held only up to our max-message-size (RFC 8831 §6.6)', async () => {
  const pair = new ChannelPair({}, { maxMessageSize: 4096 });
  await pair.connect();
  const channel = pair.a.createDataChannel('chat');
  await pair.runUntil(() => pair.openedOnB.length === 1 && channel.readyState === 'open');
  const received: string[] = [];
  channel.onmessage = (event) => received.push(String((event as MessageEvent).data));
  const id = channel.id!;
  const piece = new Uint8Array(1000).fill(0x61);
  // Before: every piece was kept until a final STRING came, whatever their total.
  for (let i = 0; i < 10; i++) pair.sctp.b.send(id, Ppid.STRING_PARTIAL, piece);
  pair.sctp.b.send(id, Ppid.STRING, new TextEncoder().encode('end of the large one'));
  pair.sctp.b.send(id, Ppid.STRING_PARTIAL, new TextEncoder().encode('small '));
  pair.sctp.b.send(id, Ppid.STRING, new TextEncoder().encode('one'));
  await pair.runUntil(() => received.length >= 1);
  assert.deepEqual(received, ['small one']);
});
