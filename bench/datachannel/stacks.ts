/**
 * The W3C surface the benchmark drives, and the stacks that provide it. Each stack's adapter lives in its own
 * file and is imported lazily, so a stack whose package or native library fails to load is reported as
 * skipped (with the loader's message) instead of taking the whole run down.
 */
import { readFileSync } from 'node:fs';

export type Listener = (event: unknown) => void;

/** The part of RTCDataChannel the benchmark uses; werift's EventEmitter-based channel fits it too. */
export interface BenchChannel {
  readonly label: string;
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType?: string;
  send(data: Buffer): void;
  close(): void;
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
}

export interface SessionDescription {
  type: string;
  sdp?: string;
}

export interface CandidateInit {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

/** The part of RTCPeerConnection the benchmark uses. */
export interface BenchPeer {
  createDataChannel(label: string, init?: { ordered?: boolean }): BenchChannel;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(description: SessionDescription): Promise<void>;
  setRemoteDescription(description: SessionDescription): Promise<void>;
  addIceCandidate(candidate: CandidateInit): Promise<void>;
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
  close(): void;
}

export interface PeerHandle {
  peer: BenchPeer;
  /** Closes the peer and whatever the adapter made for it (our ICE transport's sockets). */
  close(): void;
}

export interface StackAdapter {
  /** Package name and version, for the report header. */
  readonly description: string;
  createPeer(): PeerHandle;
  /**
   * The candidate to trickle to the other side, moved to or kept on 127.0.0.1, or undefined to drop it:
   * only loopback may be a target (DEVELOPERS.md), and every stack gathers the LAN address too.
   */
  loopbackCandidate(text: string): string | undefined;
  /** Whether channels fire bufferedamountlow; without it the sender polls bufferedAmount. */
  readonly bufferedAmountLowEvent: boolean;
  /** The largest message this peer may send once connected (W3C RTCSctpTransport.maxMessageSize). */
  maxMessageSize(peer: BenchPeer): number | undefined;
}

export const STACK_NAMES = ['dyad', 'werift', 'libwebrtc', 'libdatachannel'] as const;
export type StackName = (typeof STACK_NAMES)[number];

export function isStackName(name: string): name is StackName {
  return (STACK_NAMES as readonly string[]).includes(name);
}

/** Dynamic imports: a native library that cannot load only fails its own stack. */
export async function loadStack(name: StackName): Promise<StackAdapter> {
  switch (name) {
    case 'dyad':
      return (await import('./stack-dyad.ts')).loadDyad();
    case 'werift':
      return (await import('./stack-werift.ts')).loadWerift();
    case 'libwebrtc':
      return (await import('./stack-libwebrtc.ts')).loadLibwebrtc();
    case 'libdatachannel':
      return (await import('./stack-libdatachannel.ts')).loadLibdatachannel();
  }
}

/** A host candidate already on 127.0.0.1, UDP only (TCP candidates would only add noise to the checks). */
export function keepLoopbackUdp(text: string): string | undefined {
  if (!/ udp /i.test(text)) return undefined;
  return / 127\.0\.0\.1 \d+ typ host/.test(text) ? text : undefined;
}

/**
 * The installed version of a package, read from its package.json in node_modules: some packages' `exports`
 * do not expose package.json to require/import.
 */
export function installedVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    const { version } = JSON.parse(readFileSync(url, 'utf8')) as { version?: string };
    return version ?? '?';
  } catch {
    return '?';
  }
}

/** `pc.sctp.maxMessageSize` where the stack exposes it (W3C §6.1.1). */
export function sctpMaxMessageSize(peer: BenchPeer): number | undefined {
  const sctp = (peer as { sctp?: { maxMessageSize?: unknown } | null }).sctp;
  return typeof sctp?.maxMessageSize === 'number' ? sctp.maxMessageSize : undefined;
}
