/**
 * Connectivity checks (RFC 8445 §6.1.4, §7.2, §7.3.1.4-5, §8.1): the checklist with its triggered-check
 * queue paced every Ta, the valid list, role-conflict retries, regular nomination by the controlling agent
 * and acceptance of nominations by the controlled one. The agent owns credentials, candidates and
 * sockets and is reached through the CheckHost interface.
 */
import {
  type DecodedStunMessage,
  ERROR_CODE,
  getAttribute,
  StunDecodeError,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import type { Clock, TimerHandle } from '../util/index.ts';
import {
  candidatePriority,
  type FoundationAllocator,
  type LocalCandidate,
  localPreferenceOf,
  type RemoteCandidate,
} from './candidate.ts';
import { CandidatePair, Checklist } from './checklist.ts';
import type { DatagramBoundary } from './datagram-boundary.ts';
import { buildCheckRequest, type IceRole, type IncomingCheck } from './messages.ts';
import type { StunRouter } from './stun-router.ts';

/** RFC 8839 §5.4 ice-ufrag and ice-pwd. */
export interface IceParameters {
  readonly usernameFragment: string;
  readonly password: string;
}

/** Counters for what the agent dropped or learnt; malformed STUN never stops it (RFC 8489 §6.3). */
export interface IceAgentCounters {
  malformedStun: number;
  unauthenticatedStun: number;
  unexpectedPackets: number;
  roleConflicts: number;
  checksSent: number;
  checksReceived: number;
  mdnsResolved: number;
  mdnsUnresolved: number;
  ignoredCandidates: number;
}

/** What the checks need from the agent. */
export interface CheckHost {
  readonly tieBreaker: bigint;
  role(): IceRole;
  /** Switches role after a conflict (RFC 8445 §7.2.5.1). */
  switchRole(role: IceRole): void;
  localParameters(): IceParameters;
  remoteParameters(): IceParameters | undefined;
  /** Bumped by every restart; results of older checks are ignored. */
  generation(): number;
  closed(): boolean;
  locals(): readonly LocalCandidate[];
  /** Records a local peer-reflexive candidate (never signaled, RFC 8445 §7.2.5.3.1). */
  learnLocal(local: LocalCandidate): void;
  /** A pair was selected (nominated). */
  selected(pair: CandidatePair): void;
  /** Something changed that may change the agent's state. */
  changed(): void;
}

export interface CheckOptions {
  readonly clock: Clock;
  readonly router: StunRouter;
  readonly foundations: FoundationAllocator;
  readonly counters: IceAgentCounters;
  /** Where the continuations of check responses end (datagram-boundary.ts). */
  readonly boundary: DatagramBoundary;
  readonly taMs: number;
  readonly checkRtoMs: number;
  readonly checkMaxTransmissions: number;
  readonly nominationDelayMs: number;
  readonly maxPairs: number;
}

export class ConnectivityChecks {
  readonly clock: Clock;
  readonly #host: CheckHost;
  readonly #options: CheckOptions;
  #checklist: Checklist;
  #valid: CandidatePair[] = [];
  #triggered: CandidatePair[] = [];
  #selected: CandidatePair | undefined;
  #nominating: CandidatePair | undefined;
  #firstValidAt: number | undefined;
  #paceTimer: TimerHandle | undefined;
  #nominationTimer: TimerHandle | undefined;
  #lastCheckAt = Number.NEGATIVE_INFINITY;

  constructor(host: CheckHost, options: CheckOptions) {
    this.#host = host;
    this.#options = options;
    this.clock = options.clock;
    this.#checklist = new Checklist(options.maxPairs);
  }

  get selectedPair(): CandidatePair | undefined {
    return this.#selected;
  }

  /** The highest-priority valid pair (RFC 8445 §7.2.5.3.2), nominated or not. */
  get bestValidPair(): CandidatePair | undefined {
    let best: CandidatePair | undefined;
    for (const valid of this.#valid) if (!best || valid.priority > best.priority) best = valid;
    return best;
  }

  get pairs(): readonly CandidatePair[] {
    return this.#checklist.pairs;
  }

  /** The valid list (RFC 8445 §7.2.5.3.2); a valid pair whose local candidate is mapped is not in the checklist. */
  get validPairs(): readonly CandidatePair[] {
    return this.#valid;
  }

  /** Every check is done and none succeeded (RFC 8445 §6.1.2.6 checklist Failed). */
  get exhausted(): boolean {
    return this.#triggered.length === 0 && this.#valid.length === 0 && this.#checklist.settled;
  }

  /** Pairs a host candidate with a remote one (RFC 8445 §6.1.2.2); same address family only. */
  pair(local: LocalCandidate, remote: RemoteCandidate): void {
    if (local.socket.address.includes(':') !== remote.address.includes(':')) return;
    // RFC 8445 §8.1.2: once a pair is selected no new ordinary checks start; triggered ones still run.
    if (this.#selected) return;
    this.#checklist.add(new CandidatePair(local, remote), this.#host.role());
    this.schedule();
  }

  /** RFC 8445 §7.3.1.4-5: an authenticated check arrived on `local` from `remote`. */
  onIncomingCheck(local: LocalCandidate, remote: RemoteCandidate, check: IncomingCheck): void {
    const pair =
      this.#checklist.get(local, remote) ??
      this.#checklist.add(new CandidatePair(local, remote), this.#host.role());
    if (!pair) return;
    pair.requestsReceived++;
    // A triggered check unless the pair already succeeded or is being checked.
    if (pair.state !== 'succeeded' && pair.state !== 'in-progress') {
      pair.state = 'waiting';
      if (!this.#triggered.includes(pair)) this.#triggered.push(pair);
    }
    // The controlling side nominated this pair.
    if (check.useCandidate && this.#host.role() === 'controlled') {
      if (pair.state === 'succeeded' && pair.validPair) this.#nominate(pair.validPair);
      else pair.nominateOnSuccess = true;
    }
    this.schedule();
  }

  /** Pair priorities follow the role (RFC 8445 §6.1.2.3). */
  setRole(role: IceRole): void {
    this.#checklist.setRole(role);
    for (const pair of this.#valid) pair.updatePriority(role);
  }

  /** Forgets every pair (restart, RFC 8445 §9). */
  reset(): void {
    this.#checklist.clear();
    this.#valid = [];
    this.#triggered = [];
    this.#selected = undefined;
    this.#nominating = undefined;
    this.#firstValidAt = undefined;
    this.clock.clearTimeout(this.#nominationTimer);
    this.#nominationTimer = undefined;
  }

  close(): void {
    this.clock.clearTimeout(this.#paceTimer);
    this.clock.clearTimeout(this.#nominationTimer);
  }

  /** RFC 8445 §7.2.2: PRIORITY is what a peer-reflexive candidate from this base would get. */
  checkPriority(local: LocalCandidate): number {
    return candidatePriority('prflx', localPreferenceOf(local.candidate.priority), 1);
  }

  /** Arms the pacing timer when a check is due. */
  schedule(): void {
    if (this.#paceTimer || this.#host.closed() || !this.#host.remoteParameters()) return;
    const hasWork =
      this.#triggered.length > 0 ||
      (!this.#selected && this.#checklist.pairs.some((p) => p.state === 'waiting' || p.state === 'frozen'));
    if (!hasWork) return;
    const delay = Math.max(0, this.#lastCheckAt + this.#options.taMs - this.clock.now());
    this.#paceTimer = this.clock.setTimeout(() => this.#tick(), delay);
  }

  /** RFC 8445 §6.1.4.2: every Ta, one triggered check if queued, else one ordinary check. */
  #tick(): void {
    this.#paceTimer = undefined;
    if (this.#host.closed() || !this.#host.remoteParameters()) return;
    let pair = this.#triggered.shift();
    while (pair && pair !== this.#nominating && pair.state !== 'waiting') pair = this.#triggered.shift();
    pair ??= this.#selected ? undefined : this.#checklist.nextOrdinaryCheck();
    if (pair) {
      this.#lastCheckAt = this.clock.now();
      this.#check(pair, pair === this.#nominating);
    }
    this.#host.changed();
    this.schedule();
  }

  #check(pair: CandidatePair, useCandidate: boolean): void {
    const remote = this.#host.remoteParameters()!;
    const generation = this.#host.generation();
    const priority = this.checkPriority(pair.local);
    const role = this.#host.role();
    const { message, options } = buildCheckRequest({
      localUfrag: this.#host.localParameters().usernameFragment,
      remoteUfrag: remote.usernameFragment,
      remotePassword: remote.password,
      priority,
      role,
      tieBreaker: this.#host.tieBreaker,
      useCandidate,
    });
    if (pair.state !== 'succeeded') pair.state = 'in-progress';
    pair.requestsSent++;
    this.#options.counters.checksSent++;
    const transactions = this.#options.router.transactions(
      pair.local.socket,
      { address: pair.remote.address, port: pair.remote.candidate.port },
      'check',
      { rtoMs: this.#options.checkRtoMs, maxTransmissions: this.#options.checkMaxTransmissions },
    );
    const answered = transactions.request(message, options).then(
      (response) => {
        if (generation !== this.#host.generation() || this.#host.closed()) return;
        this.#onCheckResponse(pair, response, useCandidate, role, priority);
        this.schedule();
        this.#host.changed();
      },
      () => {
        if (generation !== this.#host.generation() || this.#host.closed()) return;
        this.#onCheckFailure(pair, useCandidate);
        this.schedule();
        this.#host.changed();
      },
    );
    this.#options.boundary.settle(answered);
  }

  #onCheckFailure(pair: CandidatePair, useCandidate: boolean): void {
    if (useCandidate) {
      // The nominating check failed: that path is gone, so nominate the next best valid pair.
      this.#nominating = undefined;
      this.#valid = this.#valid.filter((valid) => valid !== pair.validPair && valid !== pair);
      pair.state = 'failed';
    } else if (pair.state !== 'succeeded') {
      pair.state = 'failed';
    }
    this.#maybeNominate();
  }

  /** RFC 8445 §7.2.5. */
  #onCheckResponse(
    pair: CandidatePair,
    response: DecodedStunMessage,
    useCandidate: boolean,
    sentRole: IceRole,
    priority: number,
  ): void {
    if (response.class === 'error') {
      const code = safely(() => getAttribute(response, ERROR_CODE)?.code);
      if (code === 487) {
        // RFC 8445 §7.2.5.1: switch to the role opposite the one the request claimed, then retry.
        if (this.#host.role() === sentRole)
          this.#host.switchRole(sentRole === 'controlling' ? 'controlled' : 'controlling');
        if (useCandidate) this.#nominating = undefined;
        if (pair.state !== 'succeeded') pair.state = 'waiting';
        if (!this.#triggered.includes(pair)) this.#triggered.push(pair);
        return;
      }
      this.#onCheckFailure(pair, useCandidate);
      return;
    }
    const mapped = safely(() => getAttribute(response, XOR_MAPPED_ADDRESS));
    if (!mapped) {
      this.#options.counters.malformedStun++;
      this.#onCheckFailure(pair, useCandidate);
      return;
    }
    const now = this.clock.now();
    // RFC 8445 §7.2.5.3.1: a mapped address we do not know is a local peer-reflexive candidate.
    let local = this.#host
      .locals()
      .find(
        (l) =>
          l.candidate.address === mapped.address &&
          l.candidate.port === mapped.port &&
          l.socket === pair.local.socket,
      );
    if (!local) {
      local = {
        socket: pair.local.socket,
        candidate: {
          foundation: this.#options.foundations.foundationFor('prflx', pair.local.socket.address, undefined),
          component: 1,
          transport: 'udp',
          priority,
          address: mapped.address,
          port: mapped.port,
          type: 'prflx',
          relatedAddress: pair.local.candidate.address,
          relatedPort: pair.local.candidate.port,
          extensions: [],
        },
      };
      this.#host.learnLocal(local);
    }
    // RFC 8445 §7.2.5.3.2: the valid pair joins the mapped local candidate and the checked remote one.
    let valid =
      local === pair.local ? pair : this.#valid.find((v) => v.local === local && v.remote === pair.remote);
    if (!valid) {
      valid = new CandidatePair(local, pair.remote);
      valid.updatePriority(this.#host.role());
    }
    pair.state = 'succeeded';
    valid.state = 'succeeded';
    pair.validPair = valid;
    pair.responsesReceived++;
    pair.lastResponseAt = now;
    valid.lastResponseAt = now;
    if (!this.#valid.includes(valid)) this.#valid.push(valid);
    this.#firstValidAt ??= now;
    // RFC 8445 §7.2.5.3.3: unfreeze the pairs sharing the foundation.
    this.#checklist.unfreezeFoundation(pair.foundation);
    if (useCandidate && this.#host.role() === 'controlling') {
      this.#nominating = undefined;
      this.#nominate(valid);
    } else if (pair.nominateOnSuccess && this.#host.role() === 'controlled') {
      this.#nominate(valid);
    }
    this.#maybeNominate();
  }

  /**
   * RFC 8445 §8.1.1 regular nomination: once a valid pair exists and no better pair can still succeed (or
   * the nomination delay ran out), the controlling agent repeats the check of the best one with USE-CANDIDATE.
   */
  #maybeNominate(): void {
    if (this.#host.role() !== 'controlling' || this.#selected || this.#nominating || this.#valid.length === 0)
      return;
    const best = this.bestValidPair!;
    const betterPending = this.#checklist.pairs.some(
      (p) =>
        p.priority > best.priority &&
        (p.state === 'waiting' || p.state === 'in-progress' || p.state === 'frozen'),
    );
    const deadline = (this.#firstValidAt ?? 0) + this.#options.nominationDelayMs;
    if (betterPending && this.clock.now() < deadline) {
      this.#nominationTimer ??= this.clock.setTimeout(() => {
        this.#nominationTimer = undefined;
        this.#maybeNominate();
      }, deadline - this.clock.now());
      return;
    }
    const generating = this.#checklist.pairs.find((p) => p.validPair === best) ?? best;
    this.#nominating = generating;
    this.#triggered.unshift(generating);
    this.schedule();
  }

  #nominate(valid: CandidatePair): void {
    valid.nominated = true;
    if (this.#selected && this.#selected.priority >= valid.priority) return;
    this.#selected = valid;
    // RFC 8445 §8.1.2: once a pair is nominated, Waiting and Frozen pairs leave the checklist and the
    // retransmissions of In-Progress pairs of lower priority stop (those checks then count as failed).
    for (const pair of [...this.#checklist.pairs]) {
      if (pair.state === 'waiting' || pair.state === 'frozen') this.#checklist.remove(pair);
      else if (pair.state === 'in-progress' && pair.priority < valid.priority) {
        this.#options.router.abandon(
          pair.local.socket,
          { address: pair.remote.address, port: pair.remote.candidate.port },
          'check',
        );
      }
    }
    this.#triggered = this.#triggered.filter(
      (pair) => pair.state === 'waiting' && this.#checklist.pairs.includes(pair),
    );
    this.#host.selected(valid);
  }
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof StunDecodeError) return undefined;
    throw error;
  }
}
