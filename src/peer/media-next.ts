/**
 * The media methods of W3C WebRTC §5 (RTCRtpSender, RTCRtpReceiver, RTCRtpTransceiver) on an
 * RTCPeerConnection that carries data channels only: each throws NotSupportedError, so an application
 * learns at once rather than from a negotiation without its tracks. Media is the next part of Dyad.
 */
import { notSupported } from './certificate.ts';

const MEDIA_NEXT_PART = 'media (tracks, senders, receivers, transceivers) comes in the next part of Dyad';

export class MediaComesNext extends EventTarget {
  addTrack(..._args: unknown[]): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
  removeTrack(..._args: unknown[]): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
  addTransceiver(..._args: unknown[]): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
  getSenders(): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
  getReceivers(): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
  getTransceivers(): never {
    throw notSupported(MEDIA_NEXT_PART);
  }
}
