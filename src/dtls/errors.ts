/**
 * Typed errors of the DTLS layer. Decoders throw DtlsDecodeError (or the util layer's TruncatedInputError);
 * handshake rules that fail throw DtlsAlertError (alert.ts), which carries the alert to send the peer.
 */

export class DtlsError extends Error {
  override readonly name: string = 'DtlsError';
}

/** Input that does not parse: a field out of range, a bad length, a duplicate or unknown value. */
export class DtlsDecodeError extends DtlsError {
  override readonly name = 'DtlsDecodeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The handshake did not finish: the peer stopped answering our retransmissions (RFC 6347 §4.2.4). */
export class DtlsTimeoutError extends DtlsError {
  override readonly name = 'DtlsTimeoutError';
}
