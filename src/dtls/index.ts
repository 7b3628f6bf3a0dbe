/** Public face of the DTLS layer: DTLS 1.2 (RFC 6347) for WebRTC, with DTLS-SRTP keying (RFC 5764). */
export { type Alert, AlertDescription, AlertLevel, DtlsAlertError, DtlsRemoteAlertError } from './alert.ts';
export {
  certificateFromPem,
  computeFingerprint,
  type DtlsCertificate,
  type Fingerprint,
  fingerprintMatches,
  formatFingerprint,
  type GenerateCertificateOptions,
  generateCertificate,
  generateCertificateInBackground,
  parseFingerprint,
} from './certificate.ts';
export { type CipherSuite, CipherSuites, defaultCipherSuites } from './ciphersuites.ts';
export {
  type DatagramTransport,
  DtlsConnection,
  type DtlsConnectionEvents,
  type DtlsConnectionOptions,
  type DtlsRole,
  type DtlsState,
} from './connection.ts';
export { DtlsDecodeError, DtlsError, DtlsTimeoutError } from './errors.ts';
export { NamedGroup } from './keyexchange.ts';
export { SignatureScheme } from './signature.ts';
export {
  defaultSrtpProfiles,
  SRTP_EXPORTER_LABEL,
  type SrtpKeyingMaterial,
  SrtpProtectionProfile,
  srtpKeyingMaterial,
  srtpKeyingMaterialLength,
} from './srtp.ts';
