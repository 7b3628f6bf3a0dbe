import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnDyadServe } from '../../test/support/dyad-process.ts';

/** A signaling server under test, driven through the same load generator. */
export interface SignalingTarget {
  readonly name: string;
  /** Every process that does the server's work (CPU and memory are summed over them). */
  readonly pids: readonly number[];
  /** Where the server publishes its own relay latency histogram (Dyad only). */
  readonly metricsUrls?: readonly string[];
  /** Opens a peer and resolves once the server accepted it (Dyad: joined its room; PeerJS: OPEN). */
  connectUrl(peerIndex: number): string;
  /** First frame(s) a peer sends after the socket opens, and the reply that means it is in. */
  hello(peerIndex: number): string[];
  isWelcome(frame: Record<string, unknown>): boolean;
  keepalive(): string;
  /** A relayed message of `payload` from peer `from` to peer `to` (partners in pair `pairIndex`). */
  relay(from: number, to: number, pairIndex: number, payload: string): string;
  /** The payload of a relayed message as it arrives, or undefined for other frames. */
  relayedPayload(frame: Record<string, unknown>): string | undefined;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Extra node flags for the servers under test, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

function spawnAndWait(
  command: string,
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const match = ready.exec(output);
      if (match?.[1]) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Processes of `dyad serve`; peer i connects to process i mod n, so the two peers of a pair never share one. */
async function startDyadProcesses(name: string, count: number, redisUrl?: string): Promise<SignalingTarget> {
  const redisArgs = redisUrl ? ['--redis', redisUrl] : [];
  const started = await Promise.allSettled(
    Array.from({ length: count }, () =>
      spawnDyadServe(
        // The load generator sends far more per socket than a browser: lift the per-socket rate limit.
        ['--max-messages-per-second', '1000000', '--message-burst', '1000000', ...redisArgs],
        serverNodeArgs,
      ),
    ),
  );
  const processes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(processes.map((dyad) => dyad.stop()));
    throw failure.reason;
  }
  return {
    name,
    pids: processes.map((dyad) => dyad.pid),
    metricsUrls: processes.map((dyad) => `http://127.0.0.1:${dyad.port}/metrics`),
    connectUrl: (peer) => `${processes[peer % count]!.wsUrl}?target=origin`,
    hello: (peer) => [
      JSON.stringify({ command: 'join', streamId: `room-${peer >> 1}`, mode: 'both', multiPeer: false }),
    ],
    isWelcome: (frame) => frame.command === 'notification' && frame.definition === 'joined',
    keepalive: () => '{"command":"ping"}',
    relay: (_from, _to, pair, payload) =>
      JSON.stringify({ command: 'takeConfiguration', streamId: `room-${pair}`, type: 'offer', sdp: payload }),
    relayedPayload: (frame) => (frame.command === 'takeConfiguration' ? (frame.sdp as string) : undefined),
    stop: async () => {
      await Promise.all(processes.map((dyad) => dyad.stop()));
    },
  };
}

export const startDyad = () => startDyadProcesses('dyad', 1);

/** Three `dyad serve` processes sharing rooms through a redis-server started for the run. */
export async function startDyadWithRedis(): Promise<SignalingTarget> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    redis.stdout.setEncoding('utf8');
    redis.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    redis.once('error', reject);
    redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  const dyad = await startDyadProcesses('dyad×3+redis', 3, `redis://127.0.0.1:${port}`);
  return {
    ...dyad,
    pids: [...dyad.pids, redis.pid!],
    stop: async () => {
      await dyad.stop();
      await stopChild(redis);
    },
  };
}

export async function startPeerServer(): Promise<SignalingTarget> {
  const { child, port } = await spawnAndWait(
    process.execPath,
    [...serverNodeArgs, '--import', 'tsx', 'bench/signaling/peerjs-server.ts'],
    /PeerServer listening on (\d+)/,
  );
  return {
    name: 'peerjs',
    pids: [child.pid!],
    connectUrl: (peer) => `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=peer-${peer}&token=t${peer}`,
    hello: () => [],
    isWelcome: (frame) => frame.type === 'OPEN',
    keepalive: () => '{"type":"HEARTBEAT"}',
    relay: (_from, to, _pair, payload) =>
      JSON.stringify({ type: 'OFFER', dst: `peer-${to}`, payload: { sdp: payload } }),
    relayedPayload: (frame) => (frame.type === 'OFFER' ? (frame.payload as { sdp: string }).sdp : undefined),
    stop: () => stopChild(child),
  };
}
