/**
 * Candidate pairs and the checklist of RFC 8445 §6.1.2: formation, ordering by pair priority, pruning to
 * a limit, the frozen/waiting rules of §6.1.2.6 as adapted to trickle by RFC 8838 §11, and the choice of
 * the next ordinary check (§6.1.4.2).
 */
import { type LocalCandidate, pairPriority, type RemoteCandidate } from './candidate.ts';
import type { IceRole } from './messages.ts';

/** RFC 8445 §6.1.2.6 pair states. */
export type CandidatePairState = 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';

export class CandidatePair {
  state: CandidatePairState = 'frozen';
  priority = 0n;
  /** The valid pair this pair's successful check produced (RFC 8445 §7.2.5.3.2). */
  validPair: CandidatePair | undefined;
  /** Set on a valid pair once nominated (RFC 8445 §8). */
  nominated = false;
  /** Controlled agent: USE-CANDIDATE arrived before our own check succeeded (RFC 8445 §7.3.1.5). */
  nominateOnSuccess = false;
  /** Virtual-clock time of the last authenticated response on this pair (consent, RFC 7675). */
  lastResponseAt = Number.NEGATIVE_INFINITY;
  requestsSent = 0;
  responsesReceived = 0;
  requestsReceived = 0;

  constructor(
    readonly local: LocalCandidate,
    readonly remote: RemoteCandidate,
  ) {}

  /** RFC 8445 §6.1.2.6: a pair's foundation is the local and remote foundations together. */
  get foundation(): string {
    return `${this.local.candidate.foundation}:${this.remote.candidate.foundation}`;
  }

  get key(): string {
    return pairKey(this.local, this.remote);
  }

  updatePriority(role: IceRole): void {
    const local = this.local.candidate.priority;
    const remote = this.remote.candidate.priority;
    this.priority = role === 'controlling' ? pairPriority(local, remote) : pairPriority(remote, local);
  }
}

export function pairKey(local: LocalCandidate, remote: RemoteCandidate): string {
  const l = local.candidate;
  return `${l.address}|${l.port}>${remote.address}|${remote.candidate.port}`;
}

/** The checklist of one data stream (WebRTC bundles everything into one, with one component). */
export class Checklist {
  readonly pairs: CandidatePair[] = [];
  readonly #byKey = new Map<string, CandidatePair>();

  constructor(readonly limit: number) {}

  get(local: LocalCandidate, remote: RemoteCandidate): CandidatePair | undefined {
    return this.#byKey.get(pairKey(local, remote));
  }

  /**
   * Adds a pair (RFC 8838 §11): Waiting unless another pair with its foundation is already Waiting or
   * In-Progress, in which case Frozen. Returns undefined when it was pruned by the §6.1.2.5 limit.
   */
  add(pair: CandidatePair, role: IceRole): CandidatePair | undefined {
    const existing = this.#byKey.get(pair.key);
    if (existing) return existing;
    pair.updatePriority(role);
    const busy = this.pairs.some(
      (p) => p.foundation === pair.foundation && (p.state === 'waiting' || p.state === 'in-progress'),
    );
    pair.state = busy ? 'frozen' : 'waiting';
    this.pairs.push(pair);
    this.#byKey.set(pair.key, pair);
    this.sort();
    // RFC 8445 §6.1.2.5: keep the highest-priority pairs, dropping only ones not yet checked.
    while (this.pairs.length > this.limit) {
      const victim = [...this.pairs].reverse().find((p) => p.state === 'frozen' || p.state === 'waiting');
      if (!victim) break;
      this.remove(victim);
      if (victim === pair) return undefined;
    }
    return pair;
  }

  remove(pair: CandidatePair): void {
    const index = this.pairs.indexOf(pair);
    if (index >= 0) this.pairs.splice(index, 1);
    this.#byKey.delete(pair.key);
  }

  /** RFC 8445 §6.1.2.2: highest priority first. */
  sort(): void {
    this.pairs.sort((a, b) => (a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0));
  }

  setRole(role: IceRole): void {
    for (const pair of this.pairs) pair.updatePriority(role);
    this.sort();
  }

  /** RFC 8445 §7.2.5.3.3: a success unfreezes the Frozen pairs with the same foundation. */
  unfreezeFoundation(foundation: string): void {
    for (const pair of this.pairs)
      if (pair.state === 'frozen' && pair.foundation === foundation) pair.state = 'waiting';
  }

  /**
   * RFC 8445 §6.1.4.2: the highest-priority Waiting pair; when there is none, the highest-priority Frozen
   * pair whose foundation has no pair Waiting or In-Progress is unfrozen and chosen.
   */
  nextOrdinaryCheck(): CandidatePair | undefined {
    const waiting = this.pairs.find((p) => p.state === 'waiting');
    if (waiting) return waiting;
    const busyFoundations = new Set(
      this.pairs.filter((p) => p.state === 'in-progress').map((p) => p.foundation),
    );
    const frozen = this.pairs.find((p) => p.state === 'frozen' && !busyFoundations.has(p.foundation));
    if (frozen) frozen.state = 'waiting';
    return frozen;
  }

  /** No pair can still produce a result (every one Succeeded or Failed). */
  get settled(): boolean {
    return this.pairs.every((p) => p.state === 'succeeded' || p.state === 'failed');
  }

  clear(): void {
    this.pairs.length = 0;
    this.#byKey.clear();
  }
}
