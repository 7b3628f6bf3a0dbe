/**
 * A full ICE agent (RFC 8445) for one data stream with one component, as WebRTC uses it (BUNDLE and
 * rtcp-mux): gathering, trickle (RFC 8838), connectivity checks paced every Ta with triggered checks,
 * role conflict repair, regular nomination, peer-reflexive learning, mDNS host names, consent freshness
 * (RFC 7675) and restart. Timers run on an injected Clock and sockets come from an injected IceTransport.
 */
import { EventEmitter } from 'node:events';
import type { IceCandidate } from '../sdp/index.ts';
import {
  classifyPacket,
  type DecodedStunMessage,
  decodeStunMessage,
  looksLikeStun,
  StunDecodeError,
  StunMethod,
} from '../stun/index.ts';
import { type Clock, randomBytes, systemClock } from '../util/index.ts';
import {
  addressKey,
  FoundationAllocator,
  isMdnsName,
  type LocalCandidate,
  type RemoteCandidate,
} from './candidate.ts';
import type { CandidatePair } from './checklist.ts';
import { type CheckHost, ConnectivityChecks, type IceAgentCounters, type IceParameters } from './checks.ts';
import { Consent } from './consent.ts';
import { DatagramBoundary } from './datagram-boundary.ts';
import { Gatherer } from './gatherer.ts';
import {
  authenticateCheck,
  authenticResponse,
  buildCheckRequest,
  buildErrorResponse,
  buildSuccessResponse,
  fingerprintAcceptable,
  type IceRole,
  type IncomingCheck,
} from './messages.ts';
import {
  generateIceParameters,
  type IceAgentEvents,
  type IceAgentOptions,
  type IceConnectionState,
  type IceGatheringState,
} from './options.ts';
import { StunRouter } from './stun-router.ts';
import { type IceEndpoint, type IceTransport, NodeIceTransport } from './transport.ts';

const maxEarlyChecks = 64;

/** RFC 8445 §6.1.2.4: server-reflexive candidates are replaced by their bases, so hosts and relays pair. */
const pairsAsBase = (local: LocalCandidate) =>
  local.candidate.type === 'host' || local.candidate.type === 'relay';
/** Remote candidates beyond this are ignored: a peer cannot make us hold unbounded state. */
const maxRemoteCandidates = 256;

export class IceAgent extends EventEmitter<IceAgentEvents> {
  readonly clock: Clock;
  readonly counters: IceAgentCounters = {
    malformedStun: 0,
    unauthenticatedStun: 0,
    unexpectedPackets: 0,
    roleConflicts: 0,
    checksSent: 0,
    checksReceived: 0,
    mdnsResolved: 0,
    mdnsUnresolved: 0,
    ignoredCandidates: 0,
  };
  readonly #transport: IceTransport;
  readonly #ownsTransport: boolean;
  readonly #options: IceAgentOptions;
  readonly #taMs: number;
  readonly #router: StunRouter;
  readonly #gatherer: Gatherer;
  readonly #foundations = new FoundationAllocator();
  readonly #tieBreaker: bigint;
  readonly #consent: Consent;
  /** Every datagram of every socket is processed under it (see datagram-boundary.ts). */
  readonly datagramErrors: DatagramBoundary;
  #role: IceRole;
  #local: IceParameters;
  #remote: IceParameters | undefined;
  #state: IceConnectionState = 'new';
  #gatheringState: IceGatheringState = 'new';
  #gathering: Promise<void> | undefined;
  #locals: LocalCandidate[] = [];
  #remotes = new Map<string, RemoteCandidate>();
  #remoteEnded = false;
  #pendingMdns = 0;
  /** Bumped whenever the remote side's candidates are forgotten (restarts). */
  #remoteEpoch = 0;
  readonly #checks: ConnectivityChecks;
  /** During a restart, the old selected pair keeps carrying data (RFC 8445 §9). */
  #previousSelected: CandidatePair | undefined;
  #earlyChecks: { local: LocalCandidate; from: IceEndpoint; check: IncomingCheck }[] = [];
  #generation = 0;
  #prflxCount = 0;
  #closed = false;

  constructor(options: IceAgentOptions = {}) {
    super();
    this.#options = options;
    this.clock = options.clock ?? systemClock;
    this.#ownsTransport = !options.transport;
    this.#transport = options.transport ?? new NodeIceTransport();
    this.#role = options.role ?? 'controlling';
    this.#tieBreaker = options.tieBreaker ?? new DataView(randomBytes(8).buffer).getBigUint64(0);
    this.#local = options.localParameters ?? generateIceParameters();
    this.#taMs = options.taMs ?? 50;
    this.#router = new StunRouter(this.clock);
    this.datagramErrors = new DatagramBoundary({
      clock: this.clock,
      ...(options.reportDatagramError && { report: options.reportDatagramError }),
    });
    this.#checks = new ConnectivityChecks(this.#checkHost(), {
      clock: this.clock,
      boundary: this.datagramErrors,
      router: this.#router,
      foundations: this.#foundations,
      counters: this.counters,
      taMs: this.#taMs,
      checkRtoMs: options.checkRtoMs ?? 500,
      checkMaxTransmissions: options.checkMaxTransmissions ?? 7,
      nominationDelayMs: options.nominationDelayMs ?? 1000,
      maxPairs: options.maxPairs ?? 100,
    });
    this.#gatherer = new Gatherer({
      transport: this.#transport,
      clock: this.clock,
      router: this.#router,
      foundations: this.#foundations,
      includeLoopback: options.includeLoopback ?? false,
      ipv6: options.ipv6 ?? true,
      taMs: this.#taMs,
      serverRetransmit: { rtoMs: 500, maxTransmissions: 3, lastWaitFactor: 4 },
      turnTls: options.turnTls,
      onDatagram: (local, data, from) => {
        try {
          this.#receive(local, data, from);
        } catch (error) {
          this.datagramErrors.caught(error);
        }
      },
      onCandidateError: (error) => this.emit('candidateerror', error),
    });
    this.#consent = new Consent({
      clock: this.clock,
      intervalMs: options.consentIntervalMs ?? 5000,
      random: options.random ?? Math.random,
      check: (pair) => this.#sendConsentCheck(pair),
      onTick: () => this.#updateState(),
    });
  }

  #checkHost(): CheckHost {
    return {
      tieBreaker: this.#tieBreaker,
      role: () => this.#role,
      switchRole: (role) => this.#switchRole(role),
      localParameters: () => this.#local,
      remoteParameters: () => this.#remote,
      generation: () => this.#generation,
      closed: () => this.#closed,
      locals: () => this.#locals,
      learnLocal: (local) => this.#locals.push(local),
      selected: (pair) => {
        this.#previousSelected = undefined;
        this.#consent.start(pair, false);
        this.emit('selectedpairchange', pair);
      },
      changed: () => this.#updateState(),
    };
  }

  /** RFC 8445 §7.3.1.1 / §7.2.5.1: a role conflict switched our role. */
  #switchRole(role: IceRole): void {
    this.counters.roleConflicts++;
    this.setRole(role);
  }

  get role(): IceRole {
    return this.#role;
  }

  /** Sets the role from offer/answer (RFC 8445 §6.1.1, RFC 8829 §5.2.1: the offerer controls). */
  setRole(role: IceRole): void {
    if (role === this.#role) return;
    this.#role = role;
    this.#checks.setRole(role);
  }
  get state(): IceConnectionState {
    return this.#state;
  }
  get gatheringState(): IceGatheringState {
    return this.#gatheringState;
  }
  get localParameters(): IceParameters {
    return this.#local;
  }
  get remoteParameters(): IceParameters | undefined {
    return this.#remote;
  }
  get selectedPair(): CandidatePair | undefined {
    return this.#checks.selectedPair;
  }
  get localCandidates(): IceCandidate[] {
    return this.#locals.map((local) => local.candidate);
  }
  get remoteCandidates(): IceCandidate[] {
    return [...this.#remotes.values()].map((remote) => remote.candidate);
  }
  get pairs(): readonly CandidatePair[] {
    return this.#checks.pairs;
  }
  /** The valid pairs (RFC 8445 §7.2.5.3.2), nominated or not; some are not in the checklist (mapped locals). */
  get validPairs(): readonly CandidatePair[] {
    return this.#checks.validPairs;
  }
  /** The pair datagrams go out on now (W3C: the selected candidate pair), undefined while there is none. */
  get dataPair(): CandidatePair | undefined {
    return this.#dataPair();
  }

  /** Gathers host and server-reflexive candidates, emitting each, then end-of-candidates. */
  gather(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('ICE agent is closed'));
    this.#gathering ??= this.#gather(this.#generation);
    return this.#gathering;
  }

  async #gather(generation: number): Promise<void> {
    this.#setGatheringState('gathering');
    const servers = this.#options.iceServers ?? [];
    const current = () => generation === this.#generation && !this.#closed;
    // W3C iceTransportPolicy 'relay': only relayed candidates, nothing that reveals our addresses.
    const relayOnly = this.#options.iceTransportPolicy === 'relay';
    if (!relayOnly) {
      const hosts = await this.#gatherer.gatherHosts();
      if (!current()) return;
      for (const host of hosts) this.#addLocal(host);
    }
    await Promise.all([
      this.#gatherer.gatherRelayed(servers, (relay) => {
        if (current()) this.#addLocal(relay);
      }),
      relayOnly
        ? undefined
        : this.#gatherer.gatherServerReflexive(servers, (local) => {
            if (current()) this.#addLocal(local);
          }),
    ]);
    if (!current()) return;
    this.#setGatheringState('complete');
    this.emit('candidate', undefined);
    this.#updateState();
  }

  #addLocal(local: LocalCandidate): void {
    this.#locals.push(local);
    this.emit('candidate', local.candidate);
    if (!pairsAsBase(local)) return;
    for (const remote of this.#remotes.values()) this.#checks.pair(local, remote);
  }

  /** The peer's ufrag and password. A new ufrag means the peer restarted ICE (RFC 8445 §9). */
  setRemoteParameters(parameters: IceParameters): void {
    if (this.#closed) return;
    if (this.#remote && this.#remote.usernameFragment !== parameters.usernameFragment) this.#resetRemote();
    this.#remote = parameters;
    const early = this.#earlyChecks.filter((e) => e.check.remoteUfrag === parameters.usernameFragment);
    this.#earlyChecks = [];
    for (const { local, from, check } of early) this.#processCheck(local, from, check);
    this.#updateState();
  }

  /** Adds a trickled remote candidate; undefined is end-of-candidates (RFC 8838 §4.2). */
  addRemoteCandidate(candidate: IceCandidate | undefined): void {
    if (this.#closed) return;
    if (!candidate) {
      this.#remoteEnded = true;
      this.#updateState();
      return;
    }
    // WebRTC multiplexes RTP and RTCP (component 1) over UDP; other candidates cannot be used here.
    if (candidate.transport.toLowerCase() !== 'udp' || candidate.component !== 1) {
      this.counters.ignoredCandidates++;
      return;
    }
    if (isMdnsName(candidate.address)) {
      const epoch = this.#remoteEpoch;
      this.#pendingMdns++;
      const resolved = this.#transport
        .resolveMdns(candidate.address)
        .catch(() => undefined)
        .then((address) => {
          if (epoch !== this.#remoteEpoch || this.#closed) return;
          this.#pendingMdns--;
          if (address) {
            this.counters.mdnsResolved++;
            this.#addRemote(candidate, address);
          } else {
            // The peer's checks will reach us and teach us its address as peer-reflexive (RFC 8445 §7.3.1.3).
            this.counters.mdnsUnresolved++;
          }
          this.#updateState();
        });
      this.datagramErrors.settle(resolved);
      return;
    }
    if (!/^[0-9.]+$|:/.test(candidate.address)) {
      this.counters.ignoredCandidates++;
      return;
    }
    this.#addRemote(candidate, candidate.address);
  }

  #addRemote(candidate: IceCandidate, address: string): RemoteCandidate {
    const key = addressKey(address, candidate.port);
    const existing = this.#remotes.get(key);
    if (existing) return existing;
    const remote: RemoteCandidate = { candidate, address };
    if (this.#remotes.size >= maxRemoteCandidates) {
      this.counters.ignoredCandidates++;
      return remote;
    }
    this.#remotes.set(key, remote);
    // RFC 8445 §7.3.1.3: a peer-reflexive candidate is paired only by the triggered check that found it.
    if (candidate.type !== 'prflx') {
      for (const local of this.#locals) if (pairsAsBase(local)) this.#checks.pair(local, remote);
    }
    this.#updateState();
    return remote;
  }

  /**
   * The pair data goes out on: the selected one; during a restart the previous one (RFC 8445 §9); before
   * any selection the best valid pair (RFC 8445 §12.1), so DTLS starts one check round trip after the
   * first answer instead of waiting for nomination.
   */
  #dataPair(): CandidatePair | undefined {
    return this.#checks.selectedPair ?? this.#previousSelected ?? this.#checks.bestValidPair;
  }

  /** Sends a datagram on the data pair; false when there is none or consent is lost (RFC 7675 §5.1). */
  send(data: Uint8Array): boolean {
    const pair = this.#dataPair();
    if (!pair || this.#closed || this.#consent.expired) return false;
    pair.local.socket.send(data, pair.remote.address, pair.remote.candidate.port);
    return true;
  }

  /**
   * ICE restart (RFC 8445 §9): new local credentials, a fresh checklist, candidates gathered again. The
   * selected pair keeps carrying data until a new one is selected. Resolves when gathering completes.
   */
  restart(parameters: IceParameters = generateIceParameters()): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('ICE agent is closed'));
    this.#generation++;
    this.#local = parameters;
    this.#router.close();
    this.#resetRemote();
    this.#remote = undefined;
    this.#locals = [];
    this.#gathering = undefined;
    this.#gatheringState = 'new';
    return this.gather();
  }

  #resetRemote(): void {
    // The pair data goes out on (#dataPair): before nomination, the best valid one.
    const selected = this.#checks.selectedPair ?? this.#previousSelected ?? this.#checks.bestValidPair;
    this.#previousSelected = this.#consent.expired ? undefined : selected;
    this.#checks.reset();
    this.#remotes.clear();
    this.#remoteEnded = false;
    this.#remoteEpoch++;
    this.#pendingMdns = 0;
    this.#earlyChecks = [];
    this.#locals = this.#locals.filter((local) => local.candidate.type !== 'prflx');
    // Consent on the old pair continues under the old credentials' last answer; give it a fresh start.
    this.#consent.stop();
    if (this.#previousSelected) this.#consent.start(this.#previousSelected, true);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#checks.close();
    this.#consent.stop();
    this.#router.close();
    this.#gatherer.close();
    if (this.#ownsTransport) this.#transport.close();
    this.#updateState();
  }

  // ---- Receiving ----

  #receive(local: LocalCandidate, data: Uint8Array, from: IceEndpoint): void {
    if (this.#closed) return;
    if (data.length > 0 && classifyPacket(data[0] as number) === 'stun') {
      this.#receiveStun(local, data, from);
      return;
    }
    // Per packet: data from the selected pair's remote needs no lookup.
    const selected = this.#checks.selectedPair?.remote;
    if (selected && selected.candidate.port === from.port && selected.address === from.address) {
      this.emit('data', data, from);
      return;
    }
    const key = addressKey(from.address, from.port);
    const previous = this.#previousSelected?.remote;
    if (
      this.#remotes.has(key) ||
      (previous && addressKey(previous.address, previous.candidate.port) === key)
    ) {
      this.emit('data', data, from);
    } else {
      this.counters.unexpectedPackets++;
    }
  }

  #receiveStun(local: LocalCandidate, data: Uint8Array, from: IceEndpoint): void {
    let message: DecodedStunMessage;
    try {
      if (!looksLikeStun(data)) throw new StunDecodeError('not-stun', 'not a STUN message');
      message = decodeStunMessage(data);
    } catch (error) {
      if (!(error instanceof StunDecodeError)) throw error;
      this.counters.malformedStun++;
      return;
    }
    if (!fingerprintAcceptable(message) || message.method !== StunMethod.Binding) {
      this.counters.malformedStun++;
      return;
    }
    try {
      if (message.class === 'request') this.#onRequest(local, message, from);
      else if (message.class === 'success' || message.class === 'error')
        this.#onResponse(local, message, from);
      // Binding indications are keepalives (RFC 8445 §11): nothing to do.
    } catch (error) {
      if (!(error instanceof StunDecodeError)) throw error;
      this.counters.malformedStun++;
    }
  }

  #onResponse(local: LocalCandidate, message: DecodedStunMessage, from: IceEndpoint): void {
    const remotePassword = this.#remote?.password;
    const delivered = this.#router.deliver(local.socket, from, message, (kind) =>
      kind === 'server' ? true : remotePassword !== undefined && authenticResponse(message, remotePassword),
    );
    if (delivered === 'unauthenticated') this.counters.unauthenticatedStun++;
    else if (delivered === undefined) this.counters.unexpectedPackets++;
  }

  /** RFC 8445 §7.3: answer a check, repair role conflicts, learn, trigger and nominate. */
  #onRequest(local: LocalCandidate, request: DecodedStunMessage, from: IceEndpoint): void {
    const result = authenticateCheck(request, this.#local.usernameFragment, this.#local.password);
    if (!result.ok) {
      this.counters.unauthenticatedStun++;
      local.socket.send(buildErrorResponse(request, result.code), from.address, from.port);
      return;
    }
    const check = result.check;
    this.counters.checksReceived++;
    // RFC 8445 §7.3.1.1: both sides claim the same role; the larger tie-breaker keeps it.
    if (this.#role === 'controlling' && check.controlling !== undefined) {
      if (this.#tieBreaker >= check.controlling) {
        this.counters.roleConflicts++;
        local.socket.send(buildErrorResponse(request, 487, this.#local.password), from.address, from.port);
        return;
      }
      this.#switchRole('controlled');
    } else if (this.#role === 'controlled' && check.controlled !== undefined) {
      if (this.#tieBreaker < check.controlled) {
        this.counters.roleConflicts++;
        local.socket.send(buildErrorResponse(request, 487, this.#local.password), from.address, from.port);
        return;
      }
      this.#switchRole('controlling');
    }
    local.socket.send(buildSuccessResponse(request, from, this.#local.password), from.address, from.port);
    if (!this.#remote || this.#remote.usernameFragment !== check.remoteUfrag) {
      // The offer/answer with the peer's credentials has not arrived yet (RFC 8445 §7.3: respond anyway).
      if (this.#earlyChecks.length < maxEarlyChecks) this.#earlyChecks.push({ local, from, check });
      return;
    }
    this.#processCheck(local, from, check);
  }

  #processCheck(local: LocalCandidate, from: IceEndpoint, check: IncomingCheck): void {
    let remote = this.#remotes.get(addressKey(from.address, from.port));
    if (!remote) {
      // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate, with the priority the check carried.
      remote = this.#addRemote(
        {
          foundation: `prflx${++this.#prflxCount}`,
          component: 1,
          transport: 'udp',
          priority: check.priority,
          address: from.address,
          port: from.port,
          type: 'prflx',
          extensions: [],
        },
        from.address,
      );
    }
    this.#checks.onIncomingCheck(local, remote, check);
    this.#updateState();
  }

  // ---- Consent ----

  #sendConsentCheck(pair: CandidatePair): void {
    const remote = this.#remote;
    if (!remote || this.#closed) return;
    const { message, options } = buildCheckRequest({
      localUfrag: this.#local.usernameFragment,
      remoteUfrag: remote.usernameFragment,
      remotePassword: remote.password,
      priority: this.#checks.checkPriority(pair.local),
      role: this.#role,
      tieBreaker: this.#tieBreaker,
    });
    const generation = this.#generation;
    const interval = this.#options.consentIntervalMs ?? 5000;
    // RFC 7675 §5.1: each consent check is one request; the next one comes an interval later anyway.
    const answered = this.#router
      .transactions(
        pair.local.socket,
        { address: pair.remote.address, port: pair.remote.candidate.port },
        'consent',
        { rtoMs: interval, maxTransmissions: 1, lastWaitFactor: 1 },
      )
      .request(message, options)
      .then(
        (response) => {
          if (generation !== this.#generation || response.class !== 'success') return;
          pair.lastResponseAt = this.clock.now();
          this.#updateState();
        },
        () => {},
      );
    this.datagramErrors.settle(answered);
  }

  // ---- States ----

  #setGatheringState(state: IceGatheringState): void {
    if (this.#gatheringState === state) return;
    this.#gatheringState = state;
    this.emit('gatheringstatechange', state);
  }

  #computeState(): IceConnectionState {
    if (this.#closed) return 'closed';
    const selected = this.#checks.selectedPair;
    const pair = this.#dataPair();
    if (pair) {
      const silence = this.clock.now() - pair.lastResponseAt;
      if (this.#consent.expired || silence >= (this.#options.consentTimeoutMs ?? 30_000)) {
        // RFC 7675 §5.1: consent expired; stop sending (send() refuses from now on).
        this.#consent.expire();
        return 'failed';
      }
      if (silence >= (this.#options.disconnectedTimeoutMs ?? 7500)) return 'disconnected';
      // RFC 8445 §8.1.2: with a nominated pair the checklist is Completed; checks of higher-priority pairs
      // still in flight do not hold that back (they cannot change the selection: no renomination).
      return selected && this.#remoteEnded && this.#gatheringState === 'complete' ? 'completed' : 'connected';
    }
    const failed =
      this.#remoteEnded &&
      this.#gatheringState === 'complete' &&
      this.#pendingMdns === 0 &&
      this.#checks.exhausted;
    if (failed) return 'failed';
    return this.#remote && (this.#checks.pairs.length > 0 || this.counters.checksReceived > 0)
      ? 'checking'
      : 'new';
  }

  #updateState(): void {
    const state = this.#computeState();
    if (state === this.#state) return;
    // W3C RTCIceTransportState: 'completed' is reached through 'connected'.
    if (state === 'completed' && this.#state !== 'connected' && this.#state !== 'disconnected') {
      this.#state = 'connected';
      this.emit('statechange', 'connected');
    }
    this.#state = state;
    this.emit('statechange', state);
  }
}
