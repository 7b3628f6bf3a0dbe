/** Typed failures of the SCTP layer. Decoders throw SctpDecodeError or util's TruncatedInputError only. */
export class SctpDecodeError extends Error {
  override readonly name = 'SctpDecodeError';
}

/** Why an association ended without a graceful SHUTDOWN: sent or received ABORT, or a timer gave up. */
export class SctpAssociationError extends Error {
  override readonly name = 'SctpAssociationError';
  constructor(
    message: string,
    /** The RFC 9260 §3.3.10 error cause code, when one applies. */
    readonly causeCode?: number,
  ) {
    super(message);
  }
}
