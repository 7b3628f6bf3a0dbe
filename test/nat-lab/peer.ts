/**
 * One NAT-lab peer, run inside a site's namespace (`ip netns exec NS node --import tsx peer.ts CONFIG`):
 * joins a room of `dyad serve` with the client SDK and our RTCPeerConnection, opens a negotiated data
 * channel, and moves a payload checked by SHA-256 (the `send` side sends, the `receive` side verifies and
 * answers). Prints one JSON line (PeerReport) on stdout and exits; diagnostics go to stderr.
 */
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { joinRoom, type PeerConnectionConstructor } from '../../src/client/index.ts';
import { type RTCDataChannel, RTCPeerConnection, type RTCStats } from '../../src/peer/index.ts';

export interface PeerConfig {
  readonly url: string;
  readonly room: string;
  readonly side: 'send' | 'receive';
  readonly payloadBytes: number;
  readonly iceServers: RTCIceServer[];
  readonly iceTransportPolicy: 'all' | 'relay';
  readonly timeoutMs: number;
}

/** A candidate of the selected pair, as getStats names it. */
export interface PairEnd {
  readonly candidateType: string;
  readonly address: string;
  readonly port: number;
  /** W3C RTCIceCandidateStats.relayProtocol (udp, tcp, tls), where getStats gives it. */
  readonly relayProtocol?: string;
}

export interface PeerReport {
  readonly side: 'send' | 'receive';
  readonly ok: boolean;
  readonly error?: string;
  /** From joining the room to the data channel's open event. */
  readonly setupMs?: number;
  readonly payloadOk?: boolean;
  /** From joining to the moment getStats showed the selected pair nominated (polled after the payload). */
  readonly nominatedMs?: number;
  readonly selected?: { local: PairEnd; remote: PairEnd; state: string; nominated: boolean };
  /** Every candidate pair getStats lists, for diagnosis: `local → remote state [nominated]`. */
  readonly pairs?: string[];
}

const chunkBytes = 16 * 1024;
const nominationWaitMs = 5000;
const releaseWaitMs = 300;

function end(stats: RTCStats | undefined): PairEnd | undefined {
  if (!stats) return undefined;
  return {
    candidateType: String(stats.candidateType),
    address: String(stats.address),
    port: Number(stats.port),
    ...(typeof stats.relayProtocol === 'string' && { relayProtocol: stats.relayProtocol }),
  };
}

const describe = (stats: RTCStats | undefined) =>
  stats ? `${stats.candidateType}:${stats.address}:${stats.port}` : '?';

async function allPairs(pc: RTCPeerConnection): Promise<string[]> {
  const report = await pc.getStats();
  return [...report.values()]
    .filter((s) => s.type === 'candidate-pair')
    .map(
      (s) =>
        `${describe(report.get(String(s.localCandidateId)))} → ${describe(report.get(String(s.remoteCandidateId)))} ${s.state}${s.nominated ? ' nominated' : ''}`,
    );
}

async function selectedPair(pc: RTCPeerConnection): Promise<PeerReport['selected']> {
  const report = await pc.getStats();
  const transport = [...report.values()].find((s) => s.type === 'transport');
  const pair = report.get(String(transport?.selectedCandidatePairId));
  if (!pair) return undefined;
  const local = end(report.get(String(pair.localCandidateId)));
  const remote = end(report.get(String(pair.remoteCandidateId)));
  if (!local || !remote) return undefined;
  return { local, remote, state: String(pair.state), nominated: pair.nominated === true };
}

function nextMessage(channel: RTCDataChannel): Promise<unknown> {
  return new Promise((resolve) =>
    channel.addEventListener('message', (event) => resolve((event as MessageEvent).data), { once: true }),
  );
}

async function send(channel: RTCDataChannel, bytes: number): Promise<boolean> {
  const payload = randomBytes(bytes);
  const digest = createHash('sha256').update(payload).digest('hex');
  channel.bufferedAmountLowThreshold = 256 * 1024;
  for (let offset = 0; offset < bytes; offset += chunkBytes) {
    if (channel.bufferedAmount > 1024 * 1024) {
      await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
    channel.send(payload.subarray(offset, Math.min(bytes, offset + chunkBytes)));
  }
  const answer = nextMessage(channel);
  channel.send(`end ${bytes} ${digest}`);
  return (await answer) === `ok ${digest}`;
}

function receive(channel: RTCDataChannel): Promise<boolean> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let received = 0;
    channel.addEventListener('message', (event) => {
      const data = (event as MessageEvent).data;
      if (typeof data !== 'string') {
        const bytes = new Uint8Array(data as ArrayBuffer);
        hash.update(bytes);
        received += bytes.length;
        return;
      }
      const [, length, digest] = data.split(' ');
      const ours = hash.digest('hex');
      const ok = Number(length) === received && digest === ours;
      channel.send(ok ? `ok ${ours}` : `bad ${ours} ${received}`);
      // Let the answer leave before the report ends the process.
      setTimeout(() => resolve(ok), 200);
    });
  });
}

let current: RTCPeerConnection | undefined;
/** What the call went through, for the report of a peer that did not finish. */
const events: string[] = [];

async function runPeer(config: PeerConfig): Promise<PeerReport> {
  const started = performance.now();
  const note = (what: string) => events.push(`${Math.round(performance.now() - started)}ms ${what}`);
  let resolveOpen: (channel: RTCDataChannel) => void = () => {};
  const opened = new Promise<RTCDataChannel>((resolve) => {
    resolveOpen = resolve;
  });
  const call = await joinRoom(config.url, config.room, {
    WebSocket: WebSocket as never,
    RTCPeerConnection: RTCPeerConnection as unknown as PeerConnectionConstructor,
    iceServers: config.iceServers,
    peerConnectionConfig: { iceTransportPolicy: config.iceTransportPolicy },
    reconnect: false,
    createDataChannels: (pc) => {
      const ours = pc as unknown as RTCPeerConnection;
      current = ours;
      ours.addEventListener('icecandidateerror', (event) => {
        const error = event as Event & { url?: string; errorCode?: number; errorText?: string };
        note(`candidate error ${error.url} ${error.errorCode} ${error.errorText}`);
      });
      ours.addEventListener('iceconnectionstatechange', () => note(`ice ${ours.iceConnectionState}`));
      const channel = current.createDataChannel('nat-lab', { negotiated: true, id: 0 });
      channel.binaryType = 'arraybuffer';
      channel.addEventListener('open', () => resolveOpen(channel), { once: true });
    },
  });
  for (const type of ['peerjoined', 'peerleft', 'closed', 'reconnecting'])
    call.addEventListener(type, () => note(type));
  call.addEventListener('error', (event) =>
    note(`error ${(event as Event & { definition?: string }).definition}`),
  );
  call.addEventListener('connectionstatechange', (event) =>
    note(`connection ${(event as Event & { state?: string }).state}`),
  );
  try {
    const channel = await opened;
    const setupMs = Math.round(performance.now() - started);
    const payloadOk =
      config.side === 'send' ? await send(channel, config.payloadBytes) : await receive(channel);
    let selected = current && (await selectedPair(current));
    // Nomination may finish after the first data (RFC 8445 §12.1); give it a few seconds.
    for (let waited = 0; current && !selected?.nominated && waited < nominationWaitMs; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      selected = await selectedPair(current);
    }
    const nominatedMs = selected?.nominated ? Math.round(performance.now() - started) : undefined;
    const pairs = current && (await allPairs(current));
    return {
      side: config.side,
      ok: payloadOk,
      setupMs,
      payloadOk,
      ...(nominatedMs !== undefined && { nominatedMs }),
      ...(selected && { selected }),
      ...(pairs && { pairs }),
    };
  } finally {
    // Leaving closes the connection, whose TURN clients delete their allocations (RFC 8656 §7: a Refresh
    // with lifetime 0); the process waits for that before it exits.
    call.leave();
    await new Promise((resolve) => setTimeout(resolve, releaseWaitMs));
  }
}

/** What a peer that did not finish knows: its ICE state and the candidates it gathered. */
async function diagnose(): Promise<string> {
  if (!current) return `no peer connection (the other peer never joined?), events [${events.join(', ')}]`;
  const report = await current.getStats();
  const locals = [...report.values()]
    .filter((s) => s.type === 'local-candidate')
    .map((s) => `${s.candidateType}:${s.address}:${s.port}`);
  const remotes = [...report.values()]
    .filter((s) => s.type === 'remote-candidate')
    .map((s) => `${s.candidateType}:${s.address}:${s.port}`);
  return `events [${events.join(', ')}], ice ${current.iceConnectionState}, local [${locals.join(' ')}], remote [${remotes.join(' ')}]`;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;
const print = (report: PeerReport) => console.log(JSON.stringify(report));
const timer = setTimeout(() => {
  void diagnose()
    .catch((error: unknown) => String(error))
    .then((state) => {
      print({ side: config.side, ok: false, error: `timed out after ${config.timeoutMs} ms: ${state}` });
      process.exit(2);
    });
}, config.timeoutMs);
runPeer(config).then(
  (report) => {
    clearTimeout(timer);
    print(report);
    process.exit(report.ok ? 0 : 1);
  },
  (error: unknown) => {
    clearTimeout(timer);
    print({ side: config.side, ok: false, error: String(error) });
    process.exit(1);
  },
);
