/**
 * Runs the NAT lab: builds the namespaces, starts `dyad serve` on the internet segment, runs pairs of
 * peers (peer.ts) in sites and collects their reports. Every process is started here and ended here, by
 * PID; every namespace is deleted by `close`, which callers run in `finally`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NamespaceSet, type Programs, removeStaleLabs } from './netns.ts';
import type { PeerConfig, PeerReport } from './peer.ts';
import {
  buildLab,
  type Lab,
  labPublicRange,
  type Site,
  type SiteKind,
  serverAddress,
  signalingPort,
} from './topology.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const peerScript = fileURLToPath(new URL('./peer.ts', import.meta.url));

const turnPort = 3478;
/** TURN over TLS on the HTTPS port, the one a strict firewall still lets out. */
const turnTlsPort = 443;
const turnPassword = 'nat-lab-only';
/**
 * One TURN user per site: dyad serve caps the allocations of one user (RFC 8656 §7.2 step 10, 486), and
 * a matrix makes a few per site.
 */
const turnUser = (site: Site) => `site${site.index}`;

export interface RowResult {
  readonly a: SiteKind;
  readonly b: SiteKind;
  readonly policy: 'all' | 'relay';
  readonly sender: PeerReport;
  readonly receiver: PeerReport;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = once(child, 'exit').then(() => undefined);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  return exited.finally(() => clearTimeout(timer));
}

export class NatLab {
  readonly set: NamespaceSet;
  readonly #children = new Set<ChildProcess>();
  lab: Lab | undefined;
  serverOutput = '';
  /** A self-signed certificate for 198.18.0.1 (turns:), which the peers trust through NODE_EXTRA_CA_CERTS. */
  #certificateDir: string | undefined;

  constructor(readonly programs: Programs) {
    this.set = new NamespaceSet(programs);
  }

  /** Removes what a killed run left, builds one site per kind, starts dyad serve. */
  async start(kinds: readonly SiteKind[]): Promise<Lab> {
    await removeStaleLabs(this.programs);
    this.lab = await buildLab(this.set, kinds);
    this.#certificateDir = mkdtempSync(join(tmpdir(), 'dyad-nat-lab-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat(
        [
          '-subj',
          `/CN=${serverAddress}`,
          '-addext',
          `subjectAltName=IP:${serverAddress}`,
          '-keyout',
          join(this.#certificateDir, 'key.pem'),
          '-out',
          join(this.#certificateDir, 'cert.pem'),
        ],
      ),
      { stdio: 'ignore' },
    );
    await this.#startServer(this.lab);
    return this.lab;
  }

  #spawn(ns: string, command: string, args: string[]): ChildProcess {
    // `ip netns exec` execs the command in place: the child's PID is the program's own.
    const child = spawn(this.programs.ip, ['netns', 'exec', ns, command, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DYAD_LOG_LEVEL: process.env.DYAD_LOG_LEVEL ?? 'warn',
        ...(this.#certificateDir && { NODE_EXTRA_CA_CERTS: join(this.#certificateDir, 'cert.pem') }),
      },
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  async #startServer(lab: Lab): Promise<void> {
    const users = lab.sites.flatMap((site) => ['--turn-user', `${turnUser(site)}:${turnPassword}`]);
    const child = this.#spawn(lab.internet, `${root}bin/dyad.js`, [
      'serve',
      '--host',
      serverAddress,
      '--port',
      String(signalingPort),
      '--turn-port',
      String(turnPort),
      '--no-web-build',
      ...users,
      '--turn-tls-port',
      String(turnTlsPort),
      '--turn-tls-cert',
      join(this.#certificateDir!, 'cert.pem'),
      '--turn-tls-key',
      join(this.#certificateDir!, 'key.pem'),
      '--turn-relay-address',
      serverAddress,
      // The lab's public range is RFC 2544 benchmarking space, which the relay policy denies by default.
      '--turn-allow',
      labPublicRange,
    ]);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.serverOutput += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dyad serve did not start: ${this.serverOutput}`)),
        30_000,
      );
      child.stdout?.on('data', (chunk: string) => {
        this.serverOutput += chunk;
        if (/signaling: ws:/.test(this.serverOutput)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dyad serve exited with ${code}: ${this.serverOutput}`));
      });
    });
  }

  /** What a peer in `site` is given: STUN, and TURN over UDP, TCP and TLS. */
  iceServers(site: Site): RTCIceServer[] {
    return [
      {
        urls: [
          `stun:${serverAddress}:${turnPort}`,
          `turn:${serverAddress}:${turnPort}?transport=udp`,
          `turn:${serverAddress}:${turnPort}?transport=tcp`,
          `turns:${serverAddress}:${turnTlsPort}`,
        ],
        username: turnUser(site),
        credential: turnPassword,
      },
    ];
  }

  #runPeer(site: Site, config: PeerConfig): Promise<PeerReport> {
    const child = this.#spawn(site.host, process.execPath, [
      '--import',
      'tsx',
      peerScript,
      JSON.stringify(config),
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as PeerReport);
        } catch {
          resolve({
            side: config.side,
            ok: false,
            error: `peer exited (${code ?? signal}) without a report: ${stderr.slice(-2000)}`,
          });
        }
      });
    });
  }

  /** Runs a sender in site `a` and a receiver in site `b` through one room. */
  async runRow(
    a: Site,
    b: Site,
    options: { policy?: 'all' | 'relay'; payloadBytes?: number; timeoutMs?: number } = {},
  ): Promise<RowResult> {
    const policy = options.policy ?? 'all';
    const room = `lab-${this.set.run}-${a.router.split('-').pop()}-${b.router.split('-').pop()}-${policy}`;
    const base = {
      url: `ws://${serverAddress}:${signalingPort}/WebRTCAppEE/websocket`,
      room,
      payloadBytes: options.payloadBytes ?? 1024 * 1024,
      iceTransportPolicy: policy,
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    const [sender, receiver] = await Promise.all([
      this.#runPeer(a, { ...base, side: 'send', iceServers: this.iceServers(a) }),
      this.#runPeer(b, { ...base, side: 'receive', iceServers: this.iceServers(b) }),
    ]);
    return { a: a.kind, b: b.kind, policy, sender, receiver };
  }

  /** Ends every process started here (by PID), then deletes the namespaces. */
  async close(): Promise<string[]> {
    await Promise.all([...this.#children].map((child) => stop(child)));
    if (this.#certificateDir) rmSync(this.#certificateDir, { recursive: true, force: true });
    return this.set.destroy();
  }
}
