/**
 * The W3C transport objects an RTCPeerConnection exposes for its data section: RTCIceTransport (§5.6),
 * RTCDtlsTransport (§5.5) and RTCSctpTransport (§6.1.1). They are views over the wiring in
 * transports.ts, which moves their states and fires their statechange events.
 */
import type { DtlsState } from '../dtls/index.ts';
import type { IceAgent, IceConnectionState, IceGatheringState } from '../ice/index.ts';
import type { RTCIceCandidate } from './session-description.ts';

export type RTCIceTransportState = IceConnectionState;
export type RTCIceGathererState = IceGatheringState;
export type RTCDtlsTransportState = DtlsState;
export type RTCSctpTransportState = 'connecting' | 'connected' | 'closed';

type Handler = ((event: Event) => void) | null;

/** Defines `on<type>` attributes over addEventListener, as WebIDL event handler attributes behave. */
export function defineEventHandlers(prototype: object, types: readonly string[]): void {
  const handlers = new WeakMap<object, Map<string, { handler: Handler; listener: (event: Event) => void }>>();
  for (const type of types) {
    Object.defineProperty(prototype, `on${type}`, {
      configurable: true,
      enumerable: true,
      get(this: EventTarget): Handler {
        return handlers.get(this)?.get(type)?.handler ?? null;
      },
      set(this: EventTarget, handler: Handler) {
        let map = handlers.get(this);
        if (!map) {
          map = new Map();
          handlers.set(this, map);
        }
        const previous = map.get(type);
        if (previous) this.removeEventListener(type, previous.listener);
        map.delete(type);
        if (typeof handler !== 'function') return;
        const listener = (event: Event) => handler.call(this, event);
        map.set(type, { handler, listener });
        this.addEventListener(type, listener);
      },
    });
  }
}

export interface RTCIceParameters {
  usernameFragment: string;
  password: string;
}

export interface RTCIceCandidatePair {
  local: RTCIceCandidate;
  remote: RTCIceCandidate;
}

/** W3C §5.6 RTCIceTransport of the (bundled) data section. */
export class RTCIceTransport extends EventTarget {
  readonly component = 'rtp';
  declare onstatechange: Handler;
  declare ongatheringstatechange: Handler;
  declare onselectedcandidatepairchange: Handler;

  constructor(
    readonly agent: IceAgent,
    readonly candidateOf: (candidate: IceAgent['localCandidates'][number], local: boolean) => RTCIceCandidate,
  ) {
    super();
  }

  get role(): 'controlling' | 'controlled' {
    return this.agent.role;
  }
  get state(): RTCIceTransportState {
    return this.agent.state;
  }
  get gatheringState(): RTCIceGathererState {
    return this.agent.gatheringState;
  }
  getLocalCandidates(): RTCIceCandidate[] {
    return this.agent.localCandidates.map((candidate) => this.candidateOf(candidate, true));
  }
  getRemoteCandidates(): RTCIceCandidate[] {
    return this.agent.remoteCandidates.map((candidate) => this.candidateOf(candidate, false));
  }
  getSelectedCandidatePair(): RTCIceCandidatePair | null {
    const pair = this.agent.selectedPair;
    if (!pair) return null;
    return {
      local: this.candidateOf(pair.local.candidate, true),
      remote: this.candidateOf(pair.remote.candidate, false),
    };
  }
  getLocalParameters(): RTCIceParameters {
    return { ...this.agent.localParameters };
  }
  getRemoteParameters(): RTCIceParameters | null {
    const remote = this.agent.remoteParameters;
    return remote ? { ...remote } : null;
  }
}
defineEventHandlers(RTCIceTransport.prototype, [
  'statechange',
  'gatheringstatechange',
  'selectedcandidatepairchange',
]);

/** W3C §5.5 RTCDtlsTransport. */
export class RTCDtlsTransport extends EventTarget {
  declare onstatechange: Handler;
  declare onerror: Handler;
  state: RTCDtlsTransportState = 'new';
  remoteCertificate: Uint8Array | undefined;

  constructor(readonly iceTransport: RTCIceTransport) {
    super();
  }

  getRemoteCertificates(): ArrayBuffer[] {
    const der = this.remoteCertificate;
    return der ? [der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer] : [];
  }
}
defineEventHandlers(RTCDtlsTransport.prototype, ['statechange', 'error']);

/** W3C §6.1.1 RTCSctpTransport. */
export class RTCSctpTransport extends EventTarget {
  declare onstatechange: Handler;
  state: RTCSctpTransportState = 'connecting';
  /** W3C §6.1.1.1: the largest message the peer accepts (its a=max-message-size). */
  maxMessageSize: number;
  /** W3C §6.1.1: null until the association is up, then the usable stream count. */
  maxChannels: number | null = null;

  constructor(
    readonly transport: RTCDtlsTransport,
    maxMessageSize: number,
  ) {
    super();
    this.maxMessageSize = maxMessageSize;
  }
}
defineEventHandlers(RTCSctpTransport.prototype, ['statechange']);
