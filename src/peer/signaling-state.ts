/**
 * The JSEP signaling state machine (RFC 8829 §3.2, W3C WebRTC §4.3.1) as a pure transition function:
 * which description types each state accepts from setLocalDescription and setRemoteDescription, and the
 * state that results. Errors carry the DOMException names W3C WebRTC §4.4.1.5 and §4.4.1.6 specify.
 */

/** W3C RTCSignalingState. */
export type RTCSignalingState =
  | 'stable'
  | 'have-local-offer'
  | 'have-remote-offer'
  | 'have-local-pranswer'
  | 'have-remote-pranswer'
  | 'closed';

/** W3C RTCSdpType. */
export type RTCSdpType = 'offer' | 'pranswer' | 'answer' | 'rollback';

export type DescriptionSide = 'local' | 'remote';

/**
 * RFC 8829 §3.2 (the state diagram) and W3C §4.3.1: the next signaling state after applying a
 * description of `type` on `side` in `state`. Throws InvalidStateError for a transition the diagram does
 * not have. Rollback returns to stable (RFC 8829 §4.1.8.2); W3C §4.4.1.6 refuses it in stable and in the
 * pranswer states. A remote offer in have-local-offer is refused here: the caller performs the implicit
 * rollback of W3C §4.4.1.6 first.
 */
export function nextSignalingState(
  state: RTCSignalingState,
  side: DescriptionSide,
  type: RTCSdpType,
): RTCSignalingState {
  if (state === 'closed') throw invalidState('the RTCPeerConnection is closed');
  if (type === 'rollback') {
    if (state === 'stable' || state === 'have-local-pranswer' || state === 'have-remote-pranswer') {
      throw invalidState(`cannot roll back in state ${state}`);
    }
    return 'stable';
  }
  const next = transitions[state][side][type];
  if (next === undefined) {
    throw invalidState(`cannot set a ${side} ${type} in state ${state}`);
  }
  return next;
}

type Transitions = Record<
  Exclude<RTCSignalingState, 'closed'>,
  Record<DescriptionSide, Partial<Record<Exclude<RTCSdpType, 'rollback'>, RTCSignalingState>>>
>;

// RFC 8829 §3.2 figure 1, one row per state.
const transitions: Transitions = {
  stable: {
    local: { offer: 'have-local-offer' },
    remote: { offer: 'have-remote-offer' },
  },
  'have-local-offer': {
    local: { offer: 'have-local-offer' },
    remote: { answer: 'stable', pranswer: 'have-remote-pranswer' },
  },
  'have-remote-offer': {
    local: { answer: 'stable', pranswer: 'have-local-pranswer' },
    remote: { offer: 'have-remote-offer' },
  },
  'have-local-pranswer': {
    local: { answer: 'stable', pranswer: 'have-local-pranswer' },
    remote: {},
  },
  'have-remote-pranswer': {
    local: {},
    remote: { answer: 'stable', pranswer: 'have-remote-pranswer' },
  },
};

/** W3C §4.4.1.6: setRemoteDescription(offer) in have-local-offer first rolls the local offer back. */
export function needsImplicitRollback(state: RTCSignalingState, side: DescriptionSide, type: RTCSdpType) {
  return side === 'remote' && type === 'offer' && state === 'have-local-offer';
}

/** W3C §4.4.1.5 setLocalDescription without a description: the type it creates in each state. */
export function implicitLocalType(state: RTCSignalingState): 'offer' | 'answer' {
  return state === 'have-remote-offer' || state === 'have-local-pranswer' ? 'answer' : 'offer';
}

export function invalidState(message: string): DOMException {
  return new DOMException(message, 'InvalidStateError');
}
