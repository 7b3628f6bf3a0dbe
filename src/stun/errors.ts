/** Why a STUN message could not be decoded. Stable codes let callers count and log drops by cause. */
export type StunDecodeErrorCode =
  | 'truncated'
  | 'not-stun'
  | 'bad-length'
  | 'bad-magic-cookie'
  | 'bad-attribute'
  | 'bad-address-family'
  | 'bad-error-code';

/** The only error the STUN decoders throw: bad input never escapes as anything else. */
export class StunDecodeError extends Error {
  override readonly name = 'StunDecodeError';
  constructor(
    readonly code: StunDecodeErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A client transaction that got no response within the RFC 8489 §6.2.1 limits. */
export class StunTimeoutError extends Error {
  override readonly name = 'StunTimeoutError';
  constructor(readonly attempts: number) {
    super(`STUN transaction timed out after ${attempts} transmissions`);
  }
}

/** A client transaction abandoned because its owner closed. */
export class StunTransactionClosedError extends Error {
  override readonly name = 'StunTransactionClosedError';
  constructor() {
    super('STUN transaction closed before a response arrived');
  }
}
