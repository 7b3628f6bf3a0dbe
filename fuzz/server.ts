/**
 * The target: a real `dyad serve` child (started by the tests' own helper), its resident memory, and the
 * liveness probe that decides whether a fuzz case killed it. A crash is the process exiting, or the
 * probe failing: /healthz over HTTP, a STUN Binding over UDP, and a signaling ping from a fresh socket.
 */

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { createStunMessage, decodeStunMessage, encodeStunMessage, StunMethod } from '../src/stun/index.ts';
import { type DyadProcess, spawnDyadServe } from '../test/support/dyad-process.ts';

/** Fixed long-term TURN users: the server allows 10 allocations per user, the doors hold more. */
export const turnUsers = Array.from({ length: 24 }, (_, index) => ({
  user: `fuzz${index}`,
  pass: `pw-${index}`,
}));
export const turnRealm = 'dyad';

/** Rate limits raised so that most cases reach the handlers; flood cases still cross them. */
export const messagesPerSecond = 50_000;
export const messageBurst = 4_000;

export interface FuzzServer {
  readonly process: DyadProcess;
  readonly pid: number;
  readonly httpPort: number;
  readonly turnPort: number;
  readonly wsUrl: string;
  /** Set once the child exited (code or signal); a crash unless we stopped it. */
  readonly exited: () => string | undefined;
  stop(): Promise<void>;
}

export const serveArgs = [
  '--allow-loopback-peers',
  ...turnUsers.flatMap(({ user, pass }) => ['--turn-user', `${user}:${pass}`]),
  '--max-messages-per-second',
  String(messagesPerSecond),
  '--message-burst',
  String(messageBurst),
  '--log-level',
  'fatal',
];

/** Servers started and not yet stopped, so an interrupted run stops them too (stopAllFuzzServers). */
const running = new Set<DyadProcess>();

export async function stopAllFuzzServers(): Promise<void> {
  await Promise.all([...running].map((dyad) => dyad.stop()));
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const dyad = await spawnDyadServe(serveArgs);
  running.add(dyad);
  dyad.child.once('exit', () => running.delete(dyad));
  const turn = /STUN\/TURN: (\d+)/.exec(dyad.output);
  if (!turn?.[1]) {
    await dyad.stop();
    throw new Error(`dyad serve printed no STUN/TURN port: ${dyad.output}`);
  }
  let exit: string | undefined;
  dyad.child.once('exit', (code, signal) => {
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  // The helper only reads stdout up to "listening"; keep draining it so a chatty child never blocks.
  dyad.child.stdout?.resume();
  return {
    process: dyad,
    pid: dyad.pid,
    httpPort: dyad.port,
    turnPort: Number(turn[1]),
    wsUrl: dyad.wsUrl,
    exited: () => exit,
    stop: () => dyad.stop(),
  };
}

/** VmRSS of the child in bytes, or 0 once it is gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function probeHealth(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`/healthz answered ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A Binding from 127.0.0.1, which no door sends from, so the per-source limit never answers for it. */
async function probeStun(port: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const request = encodeStunMessage(createStunMessage(StunMethod.Binding, 'request'), {
      fingerprint: true,
    });
    const answered = once(socket, 'message');
    // UDP may drop under load: three tries inside the probe's time.
    for (let attempt = 0; attempt < 3; attempt++) {
      socket.send(request, port, '127.0.0.1');
      const reply = await Promise.race([
        answered,
        new Promise<undefined>((resolve) => setTimeout(resolve, 1000)),
      ]);
      if (reply) {
        const decoded = decodeStunMessage(reply[0] as Buffer);
        if (decoded.class !== 'success') throw new Error(`STUN Binding answered ${decoded.class}`);
        return;
      }
    }
    throw new Error('STUN Binding: no answer');
  } finally {
    socket.close();
  }
}

async function probeSignaling(wsUrl: string): Promise<void> {
  const socket = new WebSocket(wsUrl, { localAddress: '127.0.0.1' });
  try {
    await once(socket, 'open');
    const pong = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        if (String(data).includes('"pong"')) resolve();
      });
    });
    socket.send('{"command":"ping"}');
    await pong;
  } finally {
    socket.terminate();
  }
}

/**
 * Undefined while the server lives; otherwise why not. A loaded two-core machine can be slow, so a probe
 * gets three chances before the server counts as hung.
 */
export async function probeLiveness(server: FuzzServer, timeoutMs = 5_000): Promise<string | undefined> {
  let failure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const exit = server.exited();
    if (exit) return `server process ended (${exit})`;
    try {
      await withTimeout(
        Promise.all([probeHealth(server.httpPort), probeStun(server.turnPort), probeSignaling(server.wsUrl)]),
        timeoutMs,
        'liveness probe',
      );
      return undefined;
    } catch (error) {
      failure = (error as Error).message;
    }
  }
  return server.exited() ? `server process ended (${server.exited()})` : `server hung: ${failure}`;
}

/** Gauges from the server's /metrics that show what it still holds: heap, handles, allocations, peers. */
export async function serverGauges(server: FuzzServer): Promise<string> {
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.httpPort, path: '/metrics', agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const gauge = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? '?';
    const heap = Number(gauge('nodejs_heap_size_used_bytes'));
    return (
      `heap used ${(heap / 2 ** 20).toFixed(1)} MiB, ${gauge('nodejs_active_handles_total')} active handles, ` +
      `${gauge('dyad_turn_allocations')} TURN allocations, ${gauge('dyad_signaling_peers_connected')} signaling peers`
    );
  } catch (error) {
    return `no /metrics: ${(error as Error).message}`;
  }
}
