/**
 * W3C WebRTC §4 RTCPeerConnection for data channels: JSEP offer/answer (RFC 8829) over the signaling
 * state machine, one bundled data section carried by ICE, DTLS and SCTP (transports.ts), the operations
 * chain, negotiation-needed, configuration, states and events. Media is the next part of Dyad.
 */
import type { RTCDataChannel, RTCDataChannelInit } from '../datachannel/index.ts';
import { RTCError } from '../datachannel/index.ts';
import { generateIceParameters, type IceParameters } from '../ice/index.ts';
import type { IceCandidate } from '../sdp/index.ts';
import { randomBytes } from '../util/index.ts';
import { candidateObject, checkCandidateInit, resolveRemoteCandidate } from './candidates.ts';
import { generateRtcCertificate, type KeygenAlgorithm, type RTCCertificate } from './certificate.ts';
import {
  connectionCertificate,
  iceAgentOptions,
  type PeerConnectionOptions,
  type ResolvedConfiguration,
  type RTCConfiguration,
  resolveConfiguration,
  updateConfiguration,
} from './configuration.ts';
import {
  announcesTrickle,
  changesFingerprintWithoutIceRestart,
  isSdpParseError,
  type RemoteDescription,
  readRemoteDescription,
} from './description.ts';
import { RTCDataChannelEvent, RTCPeerConnectionIceErrorEvent, RTCPeerConnectionIceEvent } from './events.ts';
import { MediaComesNext } from './media-next.ts';
import {
  type AppliedRemoteDescription,
  answerMatchesOffer,
  dataSectionOf,
  type LocalDescription,
  makeAnswer,
  makeOffer,
  withCandidates,
} from './negotiation.ts';
import { NegotiationNeeded } from './negotiation-needed.ts';
import { OperationsChain, queuedTask } from './operations.ts';
import {
  applyRemoteIce,
  applyTransportNegotiation,
  connectionStateOf,
  keptDtlsRole,
  type RTCIceConnectionState,
  type RTCIceGatheringState,
  type RTCPeerConnectionState,
} from './peer-state.ts';
import { defineEventHandlers, type RTCDtlsTransport, type RTCSctpTransport } from './rtc-transports.ts';
import {
  type RTCIceCandidate,
  type RTCIceCandidateInit,
  RTCSessionDescription,
  type RTCSessionDescriptionInit,
} from './session-description.ts';
import {
  implicitLocalType,
  invalidState,
  needsImplicitRollback,
  nextSignalingState,
  type RTCSignalingState,
} from './signaling-state.ts';
import { ChannelTracker, collectStats, type RTCStatsReport } from './stats.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, TransportStack } from './transports.ts';
import { dataChannelInit, usvString } from './webidl.ts';

export type { PeerConnectionOptions };

type Handler = ((event: Event) => void) | null;

export class RTCPeerConnection extends MediaComesNext {
  declare onnegotiationneeded: Handler;
  declare onicecandidate: ((event: RTCPeerConnectionIceEvent) => void) | null;
  declare onicecandidateerror: Handler;
  declare onsignalingstatechange: Handler;
  declare oniceconnectionstatechange: Handler;
  declare onicegatheringstatechange: Handler;
  declare onconnectionstatechange: Handler;
  declare ondatachannel: ((event: RTCDataChannelEvent) => void) | null;
  declare ontrack: Handler;
  /** W3C §4.10: a certificate to pass in RTCConfiguration.certificates. */
  static async generateCertificate(keygenAlgorithm: KeygenAlgorithm): Promise<RTCCertificate> {
    return generateRtcCertificate(keygenAlgorithm);
  }

  #configuration: ResolvedConfiguration;
  readonly #options: PeerConnectionOptions;
  readonly #stack: TransportStack;
  readonly #dtlsTransport: RTCDtlsTransport;
  readonly #operations: OperationsChain;
  #signalingState: RTCSignalingState = 'stable';
  #iceGatheringState: RTCIceGatheringState = 'new';
  #iceConnectionState: RTCIceConnectionState = 'new';
  #connectionState: RTCPeerConnectionState = 'new';
  #pendingLocal: LocalDescription | undefined;
  #currentLocal: LocalDescription | undefined;
  #pendingRemote: AppliedRemoteDescription | undefined;
  #currentRemote: AppliedRemoteDescription | undefined;
  #lastOffer: LocalDescription | undefined;
  #lastAnswer: LocalDescription | undefined;
  #wantsData = false;
  readonly #negotiationNeeded: NegotiationNeeded;
  /** W3C §4.4.1.1 [[LocalIceCredentialsToReplace]], set by restartIce(). */
  #credentialsToReplace: IceParameters | undefined;
  #restartCredentials: IceParameters | undefined;
  readonly #sessionId = (new DataView(randomBytes(8).buffer).getBigUint64(0) >> 2n).toString();
  #sessionVersion = 1;
  #localCandidates: IceCandidate[] = [];
  #endOfCandidates = false;
  #isClosed = false;
  readonly #channels = new ChannelTracker();
  /** pc.sctp was created by an offer not yet answered (a rollback removes it). */
  #sctpFromOffer = false;
  /** The peer's ICE usernames of earlier generations: their late candidates are ignored (JSEP §5.9). */
  readonly #olderRemoteUfrags = new Set<string>();

  /** `configuration`: null or undefined mean the defaults (WebIDL `optional RTCConfiguration = {}`). */
  constructor(configuration?: RTCConfiguration | null, options: PeerConnectionOptions = {}) {
    super();
    this.#configuration = resolveConfiguration(configuration);
    this.#options = options;
    this.#negotiationNeeded = new NegotiationNeeded({
      isClosed: () => this.#isClosed,
      busy: () => this.#operations.length > 0,
      stable: () => this.#signalingState === 'stable',
      needed: () => this.#checkNegotiationNeeded(),
      fire: () => this.dispatchEvent(new Event('negotiationneeded')),
    });
    this.#operations = new OperationsChain(
      () => this.#isClosed,
      () => this.#negotiationNeeded.chainEmptied(),
    );
    const stack = new TransportStack({
      ice: iceAgentOptions(options, () => this.#configuration),
      certificate: connectionCertificate(this.#configuration),
      clock: options.clock,
      ourMaxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      candidateOf: (candidate) => candidateObject(candidate, this.#dataMid()),
      onDataChannel: (channel) => {
        this.#channels.track(channel);
        this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel }));
      },
      onStateChange: () => this.#updateStates(),
    });
    this.#stack = stack;
    this.#dtlsTransport = stack.dtlsTransport;
    stack.ice.on('candidate', (candidate) => this.#onLocalCandidate(candidate));
    stack.ice.on('candidateerror', (error) =>
      this.dispatchEvent(new RTCPeerConnectionIceErrorEvent('icecandidateerror', error)),
    );
    stack.ice.on('gatheringstatechange', (state) => {
      if (this.#isClosed || this.#iceGatheringState === state) return;
      this.#iceGatheringState = state;
      this.dispatchEvent(new Event('icegatheringstatechange'));
    });
  }

  // ---- Attributes (W3C §4.4.2) ----

  get signalingState(): RTCSignalingState {
    return this.#signalingState;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this.#iceGatheringState;
  }
  get iceConnectionState(): RTCIceConnectionState {
    return this.#iceConnectionState;
  }
  get connectionState(): RTCPeerConnectionState {
    return this.#connectionState;
  }
  get localDescription(): RTCSessionDescription | null {
    return this.pendingLocalDescription ?? this.currentLocalDescription;
  }
  get currentLocalDescription(): RTCSessionDescription | null {
    return this.#localDescriptionObject(this.#currentLocal);
  }
  get pendingLocalDescription(): RTCSessionDescription | null {
    return this.#localDescriptionObject(this.#pendingLocal);
  }
  get remoteDescription(): RTCSessionDescription | null {
    return this.pendingRemoteDescription ?? this.currentRemoteDescription;
  }
  get currentRemoteDescription(): RTCSessionDescription | null {
    const remote = this.#currentRemote;
    return remote ? new RTCSessionDescription({ type: remote.type, sdp: remote.sdp }) : null;
  }
  get pendingRemoteDescription(): RTCSessionDescription | null {
    const remote = this.#pendingRemote;
    return remote ? new RTCSessionDescription({ type: remote.type, sdp: remote.sdp }) : null;
  }
  /** W3C §4.4.2: null before a remote description, then whether it says a=ice-options:trickle. */
  get canTrickleIceCandidates(): boolean | null {
    const remote = (this.#pendingRemote ?? this.#currentRemote)?.remote;
    return remote ? announcesTrickle(remote) : null;
  }
  get sctp(): RTCSctpTransport | null {
    return this.#stack.sctp ?? null;
  }

  // ---- Offer/answer (W3C §4.4.1.5, §4.4.1.6) ----

  createOffer(options: { iceRestart?: boolean } = {}): Promise<RTCSessionDescriptionInit> {
    return this.#operations.chain(async () => {
      // W3C §4.4.1.5 (create an offer): only in stable or have-local-offer.
      const state = this.#signalingState;
      if (state !== 'stable' && state !== 'have-local-offer')
        throw invalidState(`cannot create an offer in state ${state}`);
      if (options.iceRestart) this.restartIce();
      const offer = makeOffer(this.#offerContext(this.#currentLocal?.parameters.sections ?? []));
      this.#lastOffer = offer;
      return { type: 'offer', sdp: offer.sdp };
    });
  }

  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.#operations.chain(async () => {
      const answer = this.#createAnswer();
      return { type: 'answer', sdp: answer.sdp };
    });
  }

  #createAnswer(): LocalDescription {
    const state = this.#signalingState;
    const remote = this.#pendingRemote;
    if ((state !== 'have-remote-offer' && state !== 'have-local-pranswer') || !remote)
      throw invalidState(`cannot create an answer in state ${state}`);
    const previous = this.#currentRemote?.remote.data?.usernameFragment;
    const restarts = previous !== undefined && previous !== remote.remote.data?.usernameFragment;
    const answer = makeAnswer(
      this.#offerContext([], restarts),
      remote.remote,
      keptDtlsRole(this.#stack.negotiated, remote.remote),
    );
    this.#lastAnswer = answer;
    return answer;
  }

  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    return this.#operations.chain(async () => {
      await queuedTask();
      if (this.#isClosed) return;
      const type = description?.type ?? implicitLocalType(this.#signalingState);
      if (type === 'rollback') {
        const next = nextSignalingState(this.#signalingState, 'local', 'rollback');
        // W3C §4.4.1.6: the attributes change before signalingstatechange fires.
        this.#pendingLocal = undefined;
        this.#rollBackSctp();
        this.#setSignalingState(next);
        return;
      }
      const sdp = description?.sdp ?? '';
      let local: LocalDescription;
      if (type === 'offer') {
        nextSignalingState(this.#signalingState, 'local', type);
        if (sdp !== '' && sdp !== this.#lastOffer?.sdp)
          throw new DOMException(
            'the offer is not the last one createOffer made',
            'InvalidModificationError',
          );
        local =
          sdp === ''
            ? makeOffer(this.#offerContext(this.#currentLocal?.parameters.sections ?? []))
            : this.#lastOffer!;
      } else {
        nextSignalingState(this.#signalingState, 'local', type);
        if (sdp !== '' && sdp !== this.#lastAnswer?.sdp)
          throw new DOMException(
            'the answer is not the last one createAnswer made',
            'InvalidModificationError',
          );
        local = sdp === '' ? this.#createAnswer() : this.#lastAnswer!;
        local = { ...local, type };
      }
      this.#applyLocal(local);
    });
  }

  #applyLocal(local: LocalDescription): void {
    const next = nextSignalingState(this.#signalingState, 'local', local.type);
    const ice = this.#stack.ice;
    const { usernameFragment, password } = local.parameters;
    if (ice.localParameters.usernameFragment !== usernameFragment) {
      // RFC 8445 §9: new credentials restart ICE; candidates are gathered again.
      this.#localCandidates = [];
      this.#endOfCandidates = false;
      ice.restart({ usernameFragment, password }).catch(() => {});
      // The restart forgets the peer's credentials; an answer keeps those of the offer it answers.
      const answered = local.type === 'offer' ? undefined : this.#pendingRemote;
      if (answered) applyRemoteIce(ice, answered.remote, 'answer', answered.trickled);
    } else if (ice.gatheringState === 'new' && local.parameters.sections.some((s) => s.data)) {
      ice.gather().catch(() => {});
    }
    if (local.type === 'offer') {
      // RFC 8445 §6.1.1 and RFC 8829 §5.2.1: the offerer controls, unless the peer is ice-lite.
      if (!ice.remoteParameters && !this.#currentRemote?.remote.iceLite) ice.setRole('controlling');
      this.#pendingLocal = local;
      if (local.parameters.sections.some((section) => section.data)) this.#openSctp();
    } else if (local.type === 'answer') {
      this.#currentLocal = local;
      this.#currentRemote = this.#pendingRemote;
      this.#pendingLocal = undefined;
      this.#pendingRemote = undefined;
    } else {
      this.#pendingLocal = local;
    }
    if (local.type !== 'offer') this.#negotiateTransport();
    this.#setSignalingState(next);
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (!description || !['offer', 'answer', 'pranswer', 'rollback'].includes(description.type))
      return Promise.reject(new TypeError('a description needs a type'));
    return this.#operations.chain(async () => {
      const { type } = description;
      // W3C §4.4.1.6: a remote offer in have-local-offer first rolls the local offer back, as its own
      // step with its own signalingstatechange, before the offer is even parsed.
      if (needsImplicitRollback(this.#signalingState, 'remote', type)) {
        await queuedTask();
        if (this.#isClosed) return;
        this.#pendingLocal = undefined;
        this.#rollBackSctp();
        this.#setSignalingState('stable');
      }
      await queuedTask();
      if (this.#isClosed) return;
      if (type === 'rollback') {
        const next = nextSignalingState(this.#signalingState, 'remote', 'rollback');
        this.#pendingLocal = undefined;
        this.#pendingRemote = undefined;
        this.#rollBackSctp();
        this.#setSignalingState(next);
        return;
      }
      // W3C §4.4.1.6: the state is checked before the description is parsed.
      const next = nextSignalingState(this.#signalingState, 'remote', type);
      let remote: RemoteDescription;
      try {
        remote = readRemoteDescription(description.sdp ?? '');
      } catch (error) {
        if (!isSdpParseError(error)) throw error;
        throw new RTCError({ errorDetail: 'sdp-syntax-error', sdpLineNumber: error.line }, error.message);
      }
      if (changesFingerprintWithoutIceRestart(this.#currentRemote?.remote.data, remote.data))
        throw new DOMException('the DTLS fingerprint changed without an ICE restart', 'InvalidAccessError');
      if (
        type !== 'offer' &&
        !answerMatchesOffer(this.#pendingLocal?.parameters.sections ?? [], remote.sections)
      )
        throw new DOMException('the answer does not have the sections of the offer', 'InvalidAccessError');
      const applied: AppliedRemoteDescription = { type, sdp: description.sdp ?? '', remote, trickled: [] };
      const previous = (this.#pendingRemote ?? this.#currentRemote)?.remote.data?.usernameFragment;
      if (previous !== undefined && previous !== remote.data?.usernameFragment)
        this.#olderRemoteUfrags.add(previous);
      applyRemoteIce(this.#stack.ice, remote, type);
      if (type === 'answer') {
        this.#currentRemote = applied;
        this.#currentLocal = this.#pendingLocal;
        this.#pendingLocal = undefined;
        this.#pendingRemote = undefined;
      } else {
        this.#pendingRemote = applied;
      }
      if (type === 'offer' && remote.data) this.#openSctp(remote.data.maxMessageSize);
      if (type !== 'offer') this.#negotiateTransport();
      this.#setSignalingState(next);
    });
  }

  /** W3C §4.4.1.6: an offer with a data section, local or remote, gives the connection its pc.sctp. */
  #openSctp(maxMessageSize?: number): void {
    if (this.#stack.openSctpTransport(maxMessageSize)) this.#sctpFromOffer = true;
  }

  /** W3C §4.4.1.6 rollback: the RTCSctpTransport an offer created goes with it. */
  #rollBackSctp(): void {
    if (!this.#sctpFromOffer) return;
    this.#sctpFromOffer = false;
    this.#stack.dropSctpTransport();
  }

  #negotiateTransport(): void {
    const local = this.#currentLocal ?? this.#pendingLocal;
    const remote = (this.#currentRemote ?? this.#pendingRemote)?.remote;
    if (!local || !remote) return;
    this.#sctpFromOffer = false;
    applyTransportNegotiation(this.#stack, this.#dtlsTransport, local, remote);
  }

  /** `peerRestarts`: the offer being answered restarts ICE, so the answer has new credentials too. */
  #offerContext(negotiated: LocalDescription['parameters']['sections'], peerRestarts = false) {
    const ice = this.#stack.ice;
    let credentials = ice.localParameters;
    const replace = this.#credentialsToReplace;
    // RFC 8445 §9 and RFC 8839 §4.4.1.1.1: a restart, ours or the peer's, changes our ufrag and password.
    if (peerRestarts || (replace && replace.usernameFragment === credentials.usernameFragment)) {
      this.#restartCredentials ??= generateIceParameters();
      credentials = this.#restartCredentials;
    }
    const current = credentials === ice.localParameters;
    return {
      sessionId: this.#sessionId,
      sessionVersion: this.#sessionVersion++,
      negotiated,
      wantsData: this.#wantsData,
      usernameFragment: credentials.usernameFragment,
      password: credentials.password,
      fingerprint: connectionCertificate(this.#configuration).fingerprint,
      maxMessageSize: this.#options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      candidates: current ? this.#localCandidates : [],
      endOfCandidates: current && this.#endOfCandidates,
    };
  }

  #localDescriptionObject(local: LocalDescription | undefined): RTCSessionDescription | null {
    if (!local) return null;
    const ufrag = this.#stack.ice.localParameters.usernameFragment;
    const sdp = withCandidates(local, ufrag, this.#localCandidates, this.#endOfCandidates);
    return new RTCSessionDescription({ type: local.type, sdp });
  }

  #setSignalingState(state: RTCSignalingState): void {
    if (this.#signalingState === state) return;
    this.#signalingState = state;
    if (state === 'stable') {
      // W3C §4.4.1.6: a completed exchange clears the flag, then checks whether more is needed.
      this.#negotiationNeeded.clear();
      const local = this.#currentLocal?.parameters.usernameFragment;
      if (this.#credentialsToReplace && local !== this.#credentialsToReplace.usernameFragment) {
        this.#credentialsToReplace = undefined;
      }
      this.#restartCredentials = undefined;
    }
    this.dispatchEvent(new Event('signalingstatechange'));
    if (state === 'stable') this.#negotiationNeeded.update();
  }

  // ---- Negotiation-needed (W3C §4.7.3) ----

  #checkNegotiationNeeded(): boolean {
    if (this.#credentialsToReplace) return true;
    const sections = this.#currentLocal?.parameters.sections ?? [];
    return this.#wantsData && !sections.some((section) => section.data);
  }

  restartIce(): void {
    if (this.#isClosed) return;
    this.#credentialsToReplace = { ...this.#stack.ice.localParameters };
    this.#negotiationNeeded.update();
  }

  // ---- Candidates ----

  addIceCandidate(candidate?: RTCIceCandidateInit | RTCIceCandidate | null): Promise<void> {
    const init: RTCIceCandidateInit = candidate ?? {};
    try {
      checkCandidateInit(init);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#operations.chain(async () => {
      const applied = this.#pendingRemote ?? this.#currentRemote;
      // JSEP §5.9 and W3C §4.4.1.6: a late candidate of an earlier ICE generation is ignored, not an error.
      const ufrag = init.usernameFragment ?? null;
      if (
        ufrag !== null &&
        ufrag !== applied?.remote.data?.usernameFragment &&
        this.#olderRemoteUfrags.has(ufrag)
      )
        return;
      const parsed = resolveRemoteCandidate(applied?.remote, init);
      // Everything is bundled on the data section's transport (RFC 8843): candidates for any section apply.
      if (!applied?.remote.data) return;
      applied.trickled.push(parsed);
      this.#stack.ice.addRemoteCandidate(parsed);
    });
  }

  #onLocalCandidate(candidate: IceCandidate | undefined): void {
    if (this.#isClosed) return;
    const section = this.#dataSection();
    if (!candidate) {
      this.#endOfCandidates = true;
      this.dispatchEvent(new RTCPeerConnectionIceEvent('icecandidate', { candidate: null }));
      return;
    }
    this.#localCandidates.push(candidate);
    const object = candidateObject(
      candidate,
      section?.mid ?? '0',
      section?.index ?? 0,
      this.#stack.ice.localParameters.usernameFragment,
    );
    this.dispatchEvent(new RTCPeerConnectionIceEvent('icecandidate', { candidate: object }));
  }

  #dataSection(): { mid: string; index: number } | undefined {
    return dataSectionOf(this.#pendingLocal ?? this.#currentLocal);
  }

  #dataMid(): string {
    return this.#dataSection()?.mid ?? '0';
  }

  // ---- Data channels (W3C §6.1) ----

  /** W3C §6.1: the label is required; label and init are converted as WebIDL converts them. */
  createDataChannel(...args: [label: string, dataChannelDict?: RTCDataChannelInit]): RTCDataChannel {
    if ((args as unknown[]).length === 0) throw new TypeError('createDataChannel needs a label');
    if (this.#isClosed) throw invalidState('the RTCPeerConnection is closed');
    const label = usvString(args[0]);
    const init = dataChannelInit(args[1]);
    const channel = this.#stack.createDataChannel(label, init);
    this.#channels.track(channel);
    if (!this.#wantsData) {
      this.#wantsData = true;
      this.#negotiationNeeded.update();
    }
    return channel;
  }

  // ---- States ----

  #updateStates(): void {
    if (this.#isClosed) return;
    const ice = this.#stack.ice.state;
    if (ice !== this.#iceConnectionState) {
      this.#iceConnectionState = ice;
      this.dispatchEvent(new Event('iceconnectionstatechange'));
    }
    const connection = connectionStateOf(ice, this.#dtlsTransport.state);
    if (connection !== this.#connectionState) {
      this.#connectionState = connection;
      this.dispatchEvent(new Event('connectionstatechange'));
    }
  }

  // ---- Configuration, stats, close ----

  getConfiguration(): RTCConfiguration {
    const c = this.#configuration;
    return {
      ...c,
      iceServers: c.iceServers.map((server) => ({ ...server })),
      certificates: [...c.certificates],
    };
  }

  setConfiguration(configuration?: RTCConfiguration): void {
    if (this.#isClosed) throw invalidState('the RTCPeerConnection is closed');
    const updated = updateConfiguration(
      this.#configuration,
      configuration,
      !!(this.#currentLocal ?? this.#pendingLocal),
    );
    this.#configuration = updated;
  }

  getStats(): Promise<RTCStatsReport> {
    return Promise.resolve(
      collectStats({
        stack: this.#stack,
        dtlsTransport: this.#dtlsTransport,
        certificate: connectionCertificate(this.#configuration),
        channels: this.#channels,
      }),
    );
  }

  /** W3C §4.4.1.7: everything stops at once, without state change events. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#signalingState = 'closed';
    this.#stack.close();
    this.#iceConnectionState = 'closed';
    this.#connectionState = 'closed';
    const sctp = this.#stack.sctp;
    if (sctp) sctp.state = 'closed';
    this.#dtlsTransport.state = 'closed';
  }
}

defineEventHandlers(RTCPeerConnection.prototype, [
  'negotiationneeded',
  'icecandidate',
  'icecandidateerror',
  'signalingstatechange',
  'iceconnectionstatechange',
  'icegatheringstatechange',
  'connectionstatechange',
  'datachannel',
  'track',
]);
