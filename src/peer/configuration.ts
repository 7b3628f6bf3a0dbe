/**
 * W3C WebRTC §4.2 RTCConfiguration: validation on construction (§4.4.1.1 step "set a configuration")
 * and the rules of setConfiguration (§4.4.1.2), which refuse changes to what cannot change.
 */
import { type IceAgentOptions, type IceTransport, parseIceServerUrl } from '../ice/index.ts';
import type { Clock } from '../util/index.ts';
import { defaultRtcCertificate, dtlsCertificateOf, RTCCertificate } from './certificate.ts';

export type RTCIceTransportPolicy = 'relay' | 'all';
export type RTCBundlePolicy = 'balanced' | 'max-compat' | 'max-bundle';
export type RTCRtcpMuxPolicy = 'require';
/** W3C §4.2.2: 'password' is the only credential type left in the enum. */
export type RTCIceCredentialType = 'password';

export interface RTCIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
  credentialType?: RTCIceCredentialType;
}

export interface RTCConfiguration {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  bundlePolicy?: RTCBundlePolicy;
  rtcpMuxPolicy?: RTCRtcpMuxPolicy;
  certificates?: RTCCertificate[];
  iceCandidatePoolSize?: number;
}

/** The configuration with every default filled in, as getConfiguration returns it. */
export interface ResolvedConfiguration {
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  bundlePolicy: RTCBundlePolicy;
  rtcpMuxPolicy: RTCRtcpMuxPolicy;
  certificates: RTCCertificate[];
  iceCandidatePoolSize: number;
}

const transportPolicies: readonly string[] = ['relay', 'all'];
const bundlePolicies: readonly string[] = ['balanced', 'max-compat', 'max-bundle'];

/** Dictionary members whose IDL types are not nullable: WebIDL refuses null for them (a TypeError). */
const nonNullableMembers = [
  'iceServers',
  'iceTransportPolicy',
  'bundlePolicy',
  'rtcpMuxPolicy',
  'certificates',
] as const;

/**
 * WebIDL's conversion of an `RTCConfiguration?`-like argument: null and undefined mean the defaults, any
 * other non-object is a TypeError, and a non-nullable member set to null is a TypeError.
 */
export function configurationDictionary(value: unknown): RTCConfiguration {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' && typeof value !== 'function')
    throw new TypeError('RTCConfiguration must be an object');
  const configuration = value as Record<string, unknown>;
  for (const member of nonNullableMembers)
    if (configuration[member] === null) throw new TypeError(`RTCConfiguration.${member} may not be null`);
  return configuration as RTCConfiguration;
}

/**
 * W3C §4.4.1.1 "set a configuration" for a new connection: enum values checked as WebIDL would (TypeError),
 * ICE server URLs parsed (SyntaxError), TURN credentials required (InvalidAccessError), expired
 * certificates refused (InvalidAccessError), and a certificate generated when none is given.
 */
export function resolveConfiguration(input: unknown = {}, now = Date.now()): ResolvedConfiguration {
  const configuration = configurationDictionary(input);
  const iceTransportPolicy = configuration.iceTransportPolicy ?? 'all';
  if (!transportPolicies.includes(iceTransportPolicy))
    throw new TypeError(`bad iceTransportPolicy ${iceTransportPolicy}`);
  const bundlePolicy = configuration.bundlePolicy ?? 'balanced';
  if (!bundlePolicies.includes(bundlePolicy)) throw new TypeError(`bad bundlePolicy ${bundlePolicy}`);
  const rtcpMuxPolicy = configuration.rtcpMuxPolicy ?? 'require';
  // W3C §4.2.4: 'require' is the only value left in the enum; RFC 8829 §4.1.1 needs rtcp-mux. 'negotiate'
  // was in it once: the specification lets a user agent without it throw NotSupportedError.
  if ((rtcpMuxPolicy as string) === 'negotiate')
    throw new DOMException('rtcpMuxPolicy "negotiate" is not supported', 'NotSupportedError');
  if (rtcpMuxPolicy !== 'require') throw new TypeError(`bad rtcpMuxPolicy ${rtcpMuxPolicy}`);
  const iceCandidatePoolSize = configuration.iceCandidatePoolSize ?? 0;
  if (!Number.isInteger(iceCandidatePoolSize) || iceCandidatePoolSize < 0 || iceCandidatePoolSize > 255)
    throw new TypeError('iceCandidatePoolSize is an octet');
  const iceServers = (configuration.iceServers ?? []).map(validateIceServer);
  let certificates = configuration.certificates ?? [];
  for (const certificate of certificates) {
    if (!(certificate instanceof RTCCertificate)) throw new TypeError('certificates must be RTCCertificates');
    if (certificate.expires <= now) throw new DOMException('certificate has expired', 'InvalidAccessError');
  }
  if (certificates.length === 0) certificates = [defaultRtcCertificate(now)];
  return {
    iceServers,
    iceTransportPolicy,
    bundlePolicy,
    rtcpMuxPolicy,
    certificates: [...certificates],
    iceCandidatePoolSize,
  };
}

/** W3C §4.4.1.1 step 4 (validate an RTCIceServer). */
function validateIceServer(server: RTCIceServer): RTCIceServer {
  if (server === null || typeof server !== 'object') throw new TypeError('an RTCIceServer must be an object');
  if (server.urls === undefined || server.urls === null) throw new TypeError('an RTCIceServer needs urls');
  // WebIDL enum conversion: a value outside RTCIceCredentialType is a TypeError.
  if (server.credentialType !== undefined && server.credentialType !== 'password')
    throw new TypeError(`bad credentialType ${server.credentialType}`);
  const urls = typeof server.urls === 'string' ? [server.urls] : [...server.urls];
  if (urls.length === 0) throw new SyntaxError('an ICE server needs at least one URL');
  for (const url of urls) {
    let parsed: ReturnType<typeof parseIceServerUrl>;
    try {
      parsed = parseIceServerUrl(url);
    } catch {
      throw new DOMException(`bad ICE server URL ${url}`, 'SyntaxError');
    }
    if (
      (parsed.scheme === 'turn' || parsed.scheme === 'turns') &&
      (server.username === undefined || server.credential === undefined)
    )
      throw new DOMException(`${url} needs a username and a credential`, 'InvalidAccessError');
  }
  const copy: RTCIceServer = { urls: typeof server.urls === 'string' ? server.urls : urls };
  if (server.username !== undefined) copy.username = server.username;
  if (server.credential !== undefined) copy.credential = server.credential;
  if (server.credentialType !== undefined) copy.credentialType = server.credentialType;
  return copy;
}

/**
 * W3C §4.4.1.2 setConfiguration: a new configuration may change ICE servers and the transport policy;
 * certificates, bundle and rtcp-mux policies are fixed (InvalidModificationError), and so is the candidate
 * pool size once a local description was set.
 */
export function updateConfiguration(
  current: ResolvedConfiguration,
  input: unknown,
  localDescriptionSet: boolean,
): ResolvedConfiguration {
  const configuration = configurationDictionary(input);
  if (configuration.certificates !== undefined) {
    const same =
      configuration.certificates.length === current.certificates.length &&
      configuration.certificates.every((certificate, i) => certificate === current.certificates[i]);
    if (!same) throw invalidModification('certificates cannot change');
  }
  const resolved = resolveConfiguration({ ...configuration, certificates: current.certificates });
  if (resolved.bundlePolicy !== current.bundlePolicy) throw invalidModification('bundlePolicy cannot change');
  if (resolved.rtcpMuxPolicy !== current.rtcpMuxPolicy)
    throw invalidModification('rtcpMuxPolicy cannot change');
  if (localDescriptionSet && resolved.iceCandidatePoolSize !== current.iceCandidatePoolSize)
    throw invalidModification('iceCandidatePoolSize cannot change after setLocalDescription');
  return resolved;
}

function invalidModification(message: string): DOMException {
  return new DOMException(message, 'InvalidModificationError');
}

/** The DTLS certificate the connection uses: the first one (W3C §4.2.1 lets us pick). */
export function connectionCertificate(configuration: ResolvedConfiguration) {
  return dtlsCertificateOf(configuration.certificates[0]!);
}

/** Non-standard settings (the second constructor argument), kept out of RTCConfiguration like Pion's SettingEngine. */
export interface PeerConnectionOptions {
  clock?: Clock;
  /** Sockets for ICE (a VirtualIceTransport in tests); real UDP sockets by default. */
  iceTransport?: IceTransport;
  /** Gather loopback addresses too (two peers on one machine). */
  includeLoopback?: boolean;
  /** Gather IPv6 addresses (default true). */
  ipv6?: boolean;
  /** Our a=max-message-size: the largest message we accept (RFC 8841 §6), 256 KiB by default. */
  maxMessageSize?: number;
}

/**
 * The ICE agent's options. Servers and the transport policy are read at each gathering, so what
 * setConfiguration changes applies from the next ICE restart (W3C §4.4.1.2).
 */
export function iceAgentOptions(
  options: PeerConnectionOptions,
  configuration: () => ResolvedConfiguration,
): IceAgentOptions {
  return {
    role: 'controlling',
    ...(options.clock && { clock: options.clock }),
    ...(options.iceTransport && { transport: options.iceTransport }),
    includeLoopback: options.includeLoopback ?? false,
    ipv6: options.ipv6 ?? true,
    get iceServers() {
      return configuration().iceServers;
    },
    get iceTransportPolicy() {
      return configuration().iceTransportPolicy;
    },
  };
}
