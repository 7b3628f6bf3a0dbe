/**
 * Malformed SDP. Names the 1-based line number and the text of the offending line so that a bad offer
 * from a peer can be diagnosed from the log alone.
 */
export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';
  constructor(
    /** 1-based line number in the description, or 0 when the input is not line-addressable. */
    readonly line: number,
    /** The offending line as received (without its line terminator). */
    readonly text: string,
    readonly reason: string,
  ) {
    super(`SDP${line > 0 ? ` line ${line}` : ''} (${JSON.stringify(text.slice(0, 200))}): ${reason}`);
  }
}

/** Thrown by field parsers, which do not know their line; the description parser adds line and text. */
export class SdpFieldError extends Error {
  override readonly name = 'SdpFieldError';
}

export function fieldError(reason: string): never {
  throw new SdpFieldError(reason);
}

/** A decimal integer in [min, max], written without sign, exponent or leading '+'. */
export function parseInteger(text: string | undefined, what: string, min: number, max: number): number {
  if (text === undefined || !/^\d{1,16}$/.test(text)) fieldError(`${what} is not a decimal number: ${text}`);
  const value = Number(text);
  if (value < min || value > max) fieldError(`${what} ${value} is outside ${min}..${max}`);
  return value;
}

/** Splits on single spaces, refusing empty tokens (two spaces in a row) as RFC 8866's grammar does. */
export function splitTokens(text: string, what: string): string[] {
  const tokens = text.split(' ');
  if (tokens.some((token) => token.length === 0)) fieldError(`${what} has an empty field`);
  return tokens;
}
