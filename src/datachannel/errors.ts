/** W3C WebRTC §11.1 RTCError: an OperationError with WebRTC-specific detail. */
export type RTCErrorDetailType =
  | 'data-channel-failure'
  | 'dtls-failure'
  | 'fingerprint-failure'
  | 'sctp-failure'
  | 'sdp-syntax-error'
  | 'hardware-encoder-not-available'
  | 'hardware-encoder-error';

export interface RTCErrorInit {
  errorDetail: RTCErrorDetailType;
  sdpLineNumber?: number;
  sctpCauseCode?: number;
  receivedAlert?: number;
  sentAlert?: number;
  httpRequestStatusCode?: number;
}

const errorDetails: readonly string[] = [
  'data-channel-failure',
  'dtls-failure',
  'fingerprint-failure',
  'sctp-failure',
  'sdp-syntax-error',
  'hardware-encoder-not-available',
  'hardware-encoder-error',
];

/**
 * W3C §11.1: `init` is required and its errorDetail must be a value of RTCErrorDetailType (WebIDL: a
 * TypeError otherwise); the attributes are read-only, as getters over private fields.
 */
export class RTCError extends DOMException {
  readonly #errorDetail: RTCErrorDetailType;
  readonly #sdpLineNumber: number | null;
  readonly #sctpCauseCode: number | null;
  readonly #receivedAlert: number | null;
  readonly #sentAlert: number | null;
  readonly #httpRequestStatusCode: number | null;

  constructor(init: RTCErrorInit, message = '') {
    if (init === null || typeof init !== 'object') throw new TypeError('RTCError needs an RTCErrorInit');
    if (!errorDetails.includes(init.errorDetail))
      throw new TypeError(`bad errorDetail ${String(init.errorDetail)}`);
    super(message, 'OperationError');
    this.#errorDetail = init.errorDetail;
    this.#sdpLineNumber = init.sdpLineNumber ?? null;
    this.#sctpCauseCode = init.sctpCauseCode ?? null;
    this.#receivedAlert = init.receivedAlert ?? null;
    this.#sentAlert = init.sentAlert ?? null;
    this.#httpRequestStatusCode = init.httpRequestStatusCode ?? null;
  }

  get errorDetail(): RTCErrorDetailType {
    return this.#errorDetail;
  }
  get sdpLineNumber(): number | null {
    return this.#sdpLineNumber;
  }
  get sctpCauseCode(): number | null {
    return this.#sctpCauseCode;
  }
  get receivedAlert(): number | null {
    return this.#receivedAlert;
  }
  get sentAlert(): number | null {
    return this.#sentAlert;
  }
  get httpRequestStatusCode(): number | null {
    return this.#httpRequestStatusCode;
  }
}

/** W3C WebRTC §11.2 RTCErrorEvent. */
export class RTCErrorEvent extends Event {
  readonly error: RTCError;

  constructor(type: string, init: EventInit & { error: RTCError }) {
    super(type, init);
    this.error = init.error;
  }
}
