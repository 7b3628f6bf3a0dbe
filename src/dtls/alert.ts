/** Alert protocol: codes (RFC 5246 §7.2, IANA "TLS Alerts"), the two-byte codec and alert errors. */
import { DtlsDecodeError, DtlsError } from './errors.ts';

export const AlertLevel = { warning: 1, fatal: 2 } as const;

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  user_canceled: 90,
  no_renegotiation: 100,
  unsupported_extension: 110,
} as const;

const descriptionNames = new Map<number, string>(
  Object.entries(AlertDescription).map(([name, value]) => [value, name]),
);

export function alertDescriptionName(description: number): string {
  return descriptionNames.get(description) ?? `alert(${description})`;
}

export interface Alert {
  level: number;
  description: number;
}

export function encodeAlert(alert: Alert): Uint8Array {
  return Uint8Array.of(alert.level, alert.description);
}

/** An alert record carries exactly one two-byte alert (RFC 5246 §7.2). */
export function decodeAlert(bytes: Uint8Array): Alert {
  if (bytes.length !== 2) throw new DtlsDecodeError('alert', `length ${bytes.length}, expected 2`);
  const level = bytes[0]!;
  if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
    throw new DtlsDecodeError('alert level', `unknown level ${level}`);
  }
  return { level, description: bytes[1]! };
}

/** A failure we report to the peer with a fatal alert of the given description. */
export class DtlsAlertError extends DtlsError {
  override readonly name = 'DtlsAlertError';
  constructor(
    readonly description: number,
    message: string,
  ) {
    super(`${alertDescriptionName(description)}: ${message}`);
  }
}

/** The peer sent us a fatal alert. */
export class DtlsRemoteAlertError extends DtlsError {
  override readonly name = 'DtlsRemoteAlertError';
  constructor(readonly description: number) {
    super(`peer sent fatal alert ${alertDescriptionName(description)}`);
  }
}
