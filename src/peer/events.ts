/** The event interfaces of W3C WebRTC §4.8.3 (RTCPeerConnectionIceEvent, its error event) and §6.3. */
import { RTCDataChannel } from '../datachannel/index.ts';
import type { RTCIceCandidate } from './session-description.ts';

/** WebIDL: an interface's constructor called without its required `type` argument is a TypeError. */
function requireType(args: readonly unknown[], name: string): void {
  if (args.length === 0) throw new TypeError(`${name} needs an event type`);
}

export class RTCPeerConnectionIceEvent extends Event {
  readonly candidate: RTCIceCandidate | null;
  readonly url: string | null;

  constructor(
    ...args: [type: string, init?: EventInit & { candidate?: RTCIceCandidate | null; url?: string | null }]
  ) {
    requireType(args, 'RTCPeerConnectionIceEvent');
    const [type, init = {}] = args;
    super(type, init);
    this.candidate = init.candidate ?? null;
    this.url = init.url ?? null;
  }
}

export interface RTCPeerConnectionIceErrorEventInit extends EventInit {
  address?: string | null;
  port?: number | null;
  url?: string;
  errorCode: number;
  errorText?: string;
}

/** W3C §4.8.4: a STUN or TURN server answered with an error or not at all (code 701). */
export class RTCPeerConnectionIceErrorEvent extends Event {
  readonly address: string | null;
  readonly port: number | null;
  readonly url: string;
  readonly errorCode: number;
  readonly errorText: string;

  constructor(type: string, init: RTCPeerConnectionIceErrorEventInit) {
    super(type, init);
    this.address = init.address ?? null;
    this.port = init.port ?? null;
    this.url = init.url ?? '';
    this.errorCode = init.errorCode;
    this.errorText = init.errorText ?? '';
  }
}

/** W3C §6.3: `channel` is a required member of RTCDataChannelEventInit and is an RTCDataChannel. */
export class RTCDataChannelEvent extends Event {
  readonly channel: RTCDataChannel;

  constructor(type: string, init: EventInit & { channel: RTCDataChannel }) {
    if (!(init?.channel instanceof RTCDataChannel))
      throw new TypeError('RTCDataChannelEventInit.channel must be an RTCDataChannel');
    super(type, init);
    this.channel = init.channel;
  }
}
