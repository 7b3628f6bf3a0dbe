/**
 * Perfect negotiation (W3C webrtc-pc §10.7 "Perfect negotiation example") over one RTCPeerConnection, with
 * Ant Media's takeConfiguration/takeCandidate as the signaling channel.
 *
 * Either peer may renegotiate at any time. Roles come from the protocol, so they are always opposite: the
 * peer that received `start` is impolite. When both offer at once (glare) the impolite peer ignores the offer
 * it receives and the polite peer yields: it answers the impolite offer, and its own change is offered again
 * once the connection is stable, because the browser fires `negotiationneeded` again.
 *
 * One departure from the W3C example: the polite peer sends its offer from createOffer() and applies it with
 * setLocalDescription only when the answer arrives, so yielding means dropping an unapplied offer instead of
 * rolling one back. Chromium (observed in 156) stops rendering a remote video that was already flowing once a
 * local offer is rolled back and a remote offer applied; without rollbacks glare leaves every track flowing.
 * A local offer set by the application itself on the exposed connection is still rolled back explicitly.
 *
 * Every operation (local offer, remote description, remote candidate) runs on one chain, in arrival order.
 * That makes the example's `makingOffer` flag unnecessary: an incoming offer is never handled while an offer
 * of ours is half made.
 */

import type { Clock, TimerHandle } from '../util/index.ts';

export type OutgoingDescription = { type: 'offer' | 'answer'; sdp: string };
export type OutgoingCandidate = { label: number; id: string | null; candidate: string };

export interface NegotiatorTransport {
  sendDescription(description: OutgoingDescription): void;
  sendCandidate(candidate: OutgoingCandidate): void;
  /** A failure that did not stop the session: definition as in CallErrorEvent. */
  reportError(definition: string, cause: unknown): void;
}

export interface NegotiatorOptions {
  clock: Clock;
  /**
   * How long ICE may stay `disconnected` before the impolite peer restarts it (the polite peer waits twice
   * as long, so one restart usually serves both). Browsers only declare `failed` after consent has been
   * missing for about 30 s (RFC 7675 §5.1), far too long for a person watching a frozen call after a
   * network change.
   */
  iceRestartAfterDisconnectedMs: number;
}

/** Remote candidates held until a remote description exists (trickle ICE, RFC 8838 §4). */
const maxQueuedCandidates = 256;
/** Operations waiting on the chain; beyond it the peer is flooding us and further ones are dropped. */
const maxPendingOperations = 1024;

export class Negotiator {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  readonly #transport: NegotiatorTransport;
  #chain: Promise<void> = Promise.resolve();
  #pendingOperations = 0;
  #ignoreOffer = false;
  /** The polite peer's offer, sent but applied only when its answer arrives. */
  #pendingOffer: RTCSessionDescriptionInit | undefined;
  #queuedCandidates: RTCIceCandidateInit[] = [];
  #closed = false;
  readonly #options: NegotiatorOptions;
  #disconnectedTimer: TimerHandle | undefined;

  constructor(
    pc: RTCPeerConnection,
    polite: boolean,
    transport: NegotiatorTransport,
    options: NegotiatorOptions,
  ) {
    this.pc = pc;
    this.polite = polite;
    this.#transport = transport;
    this.#options = options;
    pc.addEventListener('negotiationneeded', () => this.negotiate());
    pc.addEventListener('icecandidate', (event) => this.#onLocalCandidate(event.candidate));
    pc.addEventListener('iceconnectionstatechange', () => this.#onIceConnectionState());
  }

  /**
   * An ICE restart (RFC 8445 §9) gathers fresh candidates and renegotiates through negotiationneeded: at
   * once when ICE failed, after a grace period when it is disconnected (a short outage heals by itself).
   */
  #onIceConnectionState(): void {
    const { clock, iceRestartAfterDisconnectedMs } = this.#options;
    const state = this.pc.iceConnectionState;
    clock.clearTimeout(this.#disconnectedTimer);
    this.#disconnectedTimer = undefined;
    if (this.#closed) return;
    if (state === 'failed') this.pc.restartIce();
    else if (state === 'disconnected') {
      const delayMs = this.polite ? 2 * iceRestartAfterDisconnectedMs : iceRestartAfterDisconnectedMs;
      this.#disconnectedTimer = clock.setTimeout(() => {
        this.#disconnectedTimer = undefined;
        if (!this.#closed && this.pc.iceConnectionState === 'disconnected') this.pc.restartIce();
      }, delayMs);
    }
  }

  /**
   * Offers the current local state when the connection is stable and no offer of ours is outstanding
   * (otherwise the browser asks again once the exchange completes).
   */
  negotiate(): void {
    this.#enqueue(async () => {
      const { pc } = this;
      if (pc.signalingState !== 'stable' || this.#pendingOffer) return;
      if (!this.polite) {
        await pc.setLocalDescription();
        this.#sendLocalDescription();
        return;
      }
      const offer = await pc.createOffer();
      this.#pendingOffer = offer;
      this.#transport.sendDescription({ type: 'offer', sdp: offer.sdp ?? '' });
    });
  }

  /** Applies a description received through takeConfiguration. */
  receiveDescription(type: 'offer' | 'answer', sdp: string): void {
    this.#enqueue(async () => {
      const { pc } = this;
      if (type === 'answer') {
        const offer = this.#pendingOffer;
        this.#pendingOffer = undefined;
        if (offer && pc.signalingState === 'stable') await pc.setLocalDescription(offer);
        // An answer is only meaningful to an offer of ours; anything else is stale and would fail.
        if (pc.signalingState !== 'have-local-offer') return;
        await pc.setRemoteDescription({ type, sdp });
        await this.#flushQueuedCandidates();
        return;
      }
      const offerCollision = pc.signalingState !== 'stable' || this.#pendingOffer !== undefined;
      this.#ignoreOffer = !this.polite && offerCollision;
      if (this.#ignoreOffer) return;
      // The polite peer yields: the impolite peer ignores our outstanding offer, so drop it.
      this.#pendingOffer = undefined;
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
      await pc.setRemoteDescription({ type, sdp });
      await this.#flushQueuedCandidates();
      await pc.setLocalDescription();
      this.#sendLocalDescription();
    });
  }

  /** Adds a candidate received through takeCandidate, or queues it until a remote description is set. */
  receiveCandidate(label: number, id: string | null, candidate: string): void {
    const init: RTCIceCandidateInit = { candidate, sdpMLineIndex: label, sdpMid: id };
    this.#enqueue(async () => {
      if (!this.pc.remoteDescription) {
        if (this.#queuedCandidates.length < maxQueuedCandidates) this.#queuedCandidates.push(init);
        return;
      }
      await this.#addCandidate(init);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.clock.clearTimeout(this.#disconnectedTimer);
    this.#queuedCandidates = [];
    this.pc.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Settles when every operation queued so far has run (for tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #flushQueuedCandidates(): Promise<void> {
    const queued = this.#queuedCandidates;
    this.#queuedCandidates = [];
    for (const init of queued) await this.#addCandidate(init);
  }

  async #addCandidate(init: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(init);
    } catch (error) {
      // Candidates of an offer we ignored cannot match our descriptions; that is expected.
      if (!this.#ignoreOffer) this.#transport.reportError('candidate_rejected', error);
    }
  }

  #sendLocalDescription(): void {
    const description = this.pc.localDescription;
    if (!description || (description.type !== 'offer' && description.type !== 'answer')) return;
    this.#transport.sendDescription({ type: description.type, sdp: description.sdp });
  }

  #onLocalCandidate(candidate: RTCIceCandidate | null): void {
    // A null candidate (gathering complete) is not sent: Ant Media's SDK requires `label` on every
    // takeCandidate and has no end-of-candidates message [SDK].
    if (!candidate || candidate.candidate === '' || this.#closed) return;
    this.#transport.sendCandidate({
      label: candidate.sdpMLineIndex ?? 0,
      id: candidate.sdpMid,
      candidate: candidate.candidate,
    });
  }

  #enqueue(operation: () => Promise<void>): void {
    if (this.#closed || this.#pendingOperations >= maxPendingOperations) return;
    this.#pendingOperations++;
    this.#chain = this.#chain.then(async () => {
      try {
        if (!this.#closed) await operation();
      } catch (error) {
        if (!this.#closed) this.#transport.reportError('negotiation_failed', error);
      } finally {
        this.#pendingOperations--;
      }
    });
  }
}
