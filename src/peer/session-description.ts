/** W3C WebRTC §4.8.1 RTCSessionDescription and §4.8.2 RTCIceCandidate. */
import { type IceCandidate, parseCandidate } from '../sdp/index.ts';
import type { RTCSdpType } from './signaling-state.ts';

export interface RTCSessionDescriptionInit {
  type: RTCSdpType;
  sdp?: string;
}

export class RTCSessionDescription {
  readonly type: RTCSdpType;
  readonly sdp: string;

  constructor(init: RTCSessionDescriptionInit) {
    if (!['offer', 'pranswer', 'answer', 'rollback'].includes(init.type))
      throw new TypeError(`bad description type ${init.type}`);
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }

  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp };
  }
}

export interface RTCIceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type RTCIceProtocol = 'udp' | 'tcp';
export type RTCIceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export class RTCIceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment: string | null;
  readonly foundation: string | null = null;
  readonly component: 'rtp' | 'rtcp' | null = null;
  readonly priority: number | null = null;
  readonly address: string | null = null;
  readonly protocol: RTCIceProtocol | null = null;
  readonly port: number | null = null;
  readonly type: RTCIceCandidateType | null = null;
  readonly tcpType: 'active' | 'passive' | 'so' | null = null;
  readonly relatedAddress: string | null = null;
  readonly relatedPort: number | null = null;

  /** W3C §4.8.2.1: at least one of sdpMid and sdpMLineIndex; the candidate's fields when it parses. */
  constructor(init: RTCIceCandidateInit = {}) {
    if ((init.sdpMid ?? null) === null && (init.sdpMLineIndex ?? null) === null)
      throw new TypeError('sdpMid and sdpMLineIndex are both null');
    this.candidate = init.candidate ?? '';
    this.sdpMid = init.sdpMid ?? null;
    this.sdpMLineIndex = init.sdpMLineIndex ?? null;
    this.usernameFragment = init.usernameFragment ?? null;
    const parsed = parseOrUndefined(this.candidate);
    if (!parsed) return;
    this.foundation = parsed.foundation;
    this.component = parsed.component === 1 ? 'rtp' : 'rtcp';
    this.priority = parsed.priority;
    this.address = parsed.address;
    this.protocol = parsed.transport.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    this.port = parsed.port;
    this.type = parsed.type;
    this.tcpType = parsed.tcpType ?? null;
    this.relatedAddress = parsed.relatedAddress ?? null;
    this.relatedPort = parsed.relatedPort ?? null;
  }

  toJSON(): RTCIceCandidateInit {
    return {
      candidate: this.candidate,
      sdpMid: this.sdpMid,
      sdpMLineIndex: this.sdpMLineIndex,
      usernameFragment: this.usernameFragment,
    };
  }
}

/** A candidate line (with or without the `a=` prefix); undefined when it does not parse. */
function parseOrUndefined(text: string): IceCandidate | undefined {
  if (text === '') return undefined;
  try {
    return parseCandidate(text);
  } catch {
    return undefined;
  }
}
