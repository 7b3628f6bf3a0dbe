import WebSocket from 'ws';
import { percentile, sleep, totalCpuMs, totalRssBytes } from './measure.ts';
import { quantileMs, readRelayLatency } from './server-latency.ts';
import type { SignalingTarget } from './targets.ts';

type Peer = { socket: WebSocket; index: number };

/** Opens `count` peers with at most `concurrency` handshakes in flight; each is ready once welcomed. */
export async function openPeers(
  target: SignalingTarget,
  count: number,
  concurrency: number,
  firstIndex = 0,
  onFrame?: (peer: Peer, frame: Record<string, unknown>) => void,
): Promise<Peer[]> {
  const peers: Peer[] = new Array(count);
  let next = 0;
  const openOne = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(target.connectUrl(index), { perMessageDeflate: false });
      const peer = { socket, index };
      peers[index - firstIndex] = peer;
      let welcomed = false;
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        if (!welcomed && target.isWelcome(frame)) {
          welcomed = true;
          resolve();
        }
        onFrame?.(peer, frame);
      });
      socket.once('open', () => {
        for (const hello of target.hello(index)) socket.send(hello);
      });
      socket.once('error', reject);
    });
  const worker = async () => {
    while (next < count) await openOne(firstIndex + next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return peers;
}

async function closePeers(peers: Peer[]): Promise<void> {
  await Promise.all(
    peers.map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.terminate();
        }),
    ),
  );
}

export type HoldResult = { peers: number; stormMs: number; rssPerPeerBytes: number };

/** Connect storm and concurrent peers held: time to admit `count` peers, and server memory per peer. */
export async function holdPeers(target: SignalingTarget, count: number, holdMs: number): Promise<HoldResult> {
  await sleep(1_000);
  const rssBefore = totalRssBytes(target.pids);
  const started = performance.now();
  const peers = await openPeers(target, count, 256);
  const stormMs = performance.now() - started;
  const keepalive = setInterval(() => {
    for (const { socket } of peers) socket.send(target.keepalive());
  }, 10_000);
  await sleep(holdMs);
  const rssAfter = totalRssBytes(target.pids);
  clearInterval(keepalive);
  await closePeers(peers);
  await sleep(1_000);
  return { peers: count, stormMs, rssPerPeerBytes: (rssAfter - rssBefore) / count };
}

export type RelayResult = {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 of the server's own relay latency histogram (a bucket bound), where the server publishes one. */
  serverP99Ms: number | undefined;
  serverCpuUsPerMessage: number;
};

/**
 * `pairs` pairs relay `payloadBytes`-sized messages in both directions. With `rate` they are paced to
 * that many messages per second in total (latency at a fixed load); without it each direction keeps
 * `window` messages in flight (the most the server relays).
 */
export async function relayMessages(
  target: SignalingTarget,
  options: { pairs: number; seconds: number; payloadBytes: number; rate?: number; window?: number },
): Promise<RelayResult> {
  const { pairs, seconds, payloadBytes, rate, window = 16 } = options;
  const padding = 'a'.repeat(Math.max(0, payloadBytes - 24));
  const latencies = new Float64Array(rate ? Math.ceil(rate * seconds * 1.2) + 1024 : 4_000_000);
  let received = 0;
  let measuring = false;
  let peers: Peer[] = [];
  const partnerOf = (index: number) => index ^ 1;
  const send = (from: number) => {
    const to = partnerOf(from);
    const payload = `${performance.now().toFixed(4)}|${padding}`;
    peers[from]?.socket.send(target.relay(from, to, from >> 1, payload));
  };
  const onFrame = (peer: Peer, frame: Record<string, unknown>) => {
    const payload = target.relayedPayload(frame);
    if (payload === undefined || !measuring) return;
    if (received < latencies.length)
      latencies[received] = performance.now() - Number(payload.slice(0, payload.indexOf('|')));
    received++;
    // Closed loop: each arrival lets its sender's direction send the next one.
    if (!rate) send(partnerOf(peer.index));
  };
  peers = await openPeers(target, pairs * 2, 64, 0, onFrame);
  await sleep(500);

  const metricsUrls = target.metricsUrls ?? [];
  const latencyBefore = metricsUrls.length > 0 ? await readRelayLatency(metricsUrls) : undefined;
  const cpuBefore = totalCpuMs(target.pids);
  const started = performance.now();
  measuring = true;
  let sent = 0;
  if (rate) {
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed >= seconds) return resolve();
        const due = Math.floor(elapsed * rate) - sent;
        for (let i = 0; i < due; i++) send(sent++ % (pairs * 2));
        setTimeout(tick, 1);
      };
      tick();
    });
  } else {
    for (let peer = 0; peer < pairs * 2; peer++) for (let i = 0; i < window; i++) send(peer);
    await sleep(seconds * 1000);
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  const relayed = received;
  const cpuMs = totalCpuMs(target.pids) - cpuBefore;
  const serverP99Ms = latencyBefore
    ? quantileMs(latencyBefore, await readRelayLatency(metricsUrls), 0.99)
    : undefined;
  measuring = false;
  await closePeers(peers);
  await sleep(500);

  const sorted = latencies.slice(0, Math.min(relayed, latencies.length)).sort();
  return {
    messages: relayed,
    seconds: elapsedSeconds,
    messagesPerSecond: relayed / elapsedSeconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    serverP99Ms,
    serverCpuUsPerMessage: (cpuMs * 1000) / relayed,
  };
}
