/** Events a DyadCall dispatches. Each carries typed fields; the names mirror RTCPeerConnection's where they exist. */

/** A `track` arrived from the remote peer (RTCPeerConnection's `track`, re-dispatched). */
export class CallTrackEvent extends Event {
  readonly track: MediaStreamTrack;
  readonly streams: readonly MediaStream[];
  readonly transceiver: RTCRtpTransceiver;

  constructor(track: MediaStreamTrack, streams: readonly MediaStream[], transceiver: RTCRtpTransceiver) {
    super('track');
    this.track = track;
    this.streams = streams;
    this.transceiver = transceiver;
  }
}

/** The remote peer opened a data channel (RTCPeerConnection's `datachannel`, re-dispatched). */
export class CallDataChannelEvent extends Event {
  readonly channel: RTCDataChannel;

  constructor(channel: RTCDataChannel) {
    super('datachannel');
    this.channel = channel;
  }
}

/** `connectionstatechange` or `signalingstatechange` of the current RTCPeerConnection, with the new state. */
export class CallStateEvent<State extends string> extends Event {
  readonly state: State;

  constructor(type: 'connectionstatechange' | 'signalingstatechange', state: State) {
    super(type);
    this.state = state;
  }
}

/**
 * An error: a server `error` message (its `definition` verbatim, e.g. `room_full`, `unauthorized`,
 * `no_peer_associated_before`) or a local failure (`negotiation_failed`, `candidate_rejected`,
 * `message_too_large`, `peer_connection_failed`, `websocket_failed`).
 */
export class CallErrorEvent extends Event {
  readonly definition: string;
  readonly cause: unknown;

  constructor(definition: string, cause?: unknown) {
    super('error');
    this.definition = definition;
    this.cause = cause;
  }
}

/** An application message relayed from the other peer through `peerMessageCommand`. */
export class CallPeerMessageEvent extends Event {
  readonly definition: string | undefined;
  readonly data: unknown;

  constructor(definition: string | undefined, data: unknown) {
    super('peermessage');
    this.definition = definition;
    this.data = data;
  }
}

/** The signaling socket dropped; attempt number `attempt` (0-based) starts after `delayMs`. */
export class CallReconnectingEvent extends Event {
  readonly attempt: number;
  readonly delayMs: number;

  constructor(attempt: number, delayMs: number) {
    super('reconnecting');
    this.attempt = attempt;
    this.delayMs = delayMs;
  }
}

export interface DyadCallEventMap {
  /** The server confirmed the join (`notification/joined`), first time or after a reconnection. */
  joined: Event;
  /** A peer is in the room and a new peer connection starts (`start`, or the first offer of a session). */
  peerjoined: Event;
  /** The peer left (`stop`), or its session was replaced after a re-join. */
  peerleft: Event;
  track: CallTrackEvent;
  datachannel: CallDataChannelEvent;
  connectionstatechange: CallStateEvent<RTCPeerConnectionState>;
  signalingstatechange: CallStateEvent<RTCSignalingState>;
  peermessage: CallPeerMessageEvent;
  reconnecting: CallReconnectingEvent;
  error: CallErrorEvent;
  /** The call ended for good: `leave()`, or a fatal error. */
  closed: Event;
}
