import { fieldError, parseInteger, SdpFieldError, SdpParseError, splitTokens } from './errors.ts';

/** RFC 8445 §5.1.1 candidate types. */
export type IceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
const candidateTypes: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];

/** RFC 6544 §4.5 TCP candidate types. */
export type IceTcpType = 'active' | 'passive' | 'so';
const tcpTypes: readonly string[] = ['active', 'passive', 'so'];

/** One `candidate` attribute (RFC 8839 §5.1), as carried in SDP and in trickled RTCIceCandidate strings. */
export interface IceCandidate {
  foundation: string;
  component: number;
  /** As written: browsers say `udp` (Chromium) or `UDP` (Firefox); compare case-insensitively. */
  transport: string;
  priority: number;
  /** An IPv4 or IPv6 address, or an FQDN such as a browser's mDNS `<uuid>.local` name. */
  address: string;
  port: number;
  type: IceCandidateType;
  relatedAddress?: string;
  relatedPort?: number;
  tcpType?: IceTcpType;
  /** Extension name/value pairs in order, e.g. Chromium's `generation 0`, `ufrag abcd`, `network-id 1`. */
  extensions: [string, string][];
}

// RFC 8839 §5.1: foundation = 1*32ice-char, ice-char = ALPHA / DIGIT / "+" / "/".
const foundationPattern = /^[A-Za-z0-9+/]{1,32}$/;
// Connection addresses are IPv4, IPv6 or FQDN; none may contain spaces or control characters.
const addressPattern = /^[A-Za-z0-9.:\-_%[\]]{1,255}$/;

/** Parses the value of a candidate attribute (after `candidate:`), throwing SdpFieldError on bad input. */
export function parseCandidateValue(value: string): IceCandidate {
  const tokens = splitTokens(value, 'candidate');
  if (tokens.length < 8) fieldError(`candidate needs at least 8 fields, has ${tokens.length}`);
  const [foundation, component, transport, priority, address, port, typ, type] = tokens as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!foundationPattern.test(foundation)) fieldError(`bad candidate foundation ${foundation}`);
  if (!/^[A-Za-z0-9-]{1,16}$/.test(transport)) fieldError(`bad candidate transport ${transport}`);
  if (!addressPattern.test(address)) fieldError(`bad candidate address ${address}`);
  if (typ !== 'typ') fieldError(`expected "typ", found ${typ}`);
  if (!candidateTypes.includes(type)) fieldError(`unknown candidate type ${type}`);
  const candidate: IceCandidate = {
    foundation,
    component: parseInteger(component, 'component id', 1, 256),
    transport,
    priority: parseInteger(priority, 'priority', 0, 0xffffffff),
    address,
    port: parseInteger(port, 'port', 0, 65535),
    type: type as IceCandidateType,
    extensions: [],
  };
  const rest = tokens.slice(8);
  if (rest.length % 2 !== 0) fieldError('candidate extension without a value');
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const extensionValue = rest[i + 1]!;
    if (name === 'raddr') {
      if (!addressPattern.test(extensionValue)) fieldError(`bad related address ${extensionValue}`);
      candidate.relatedAddress = extensionValue;
    } else if (name === 'rport') {
      candidate.relatedPort = parseInteger(extensionValue, 'related port', 0, 65535);
    } else if (name === 'tcptype') {
      if (!tcpTypes.includes(extensionValue)) fieldError(`bad tcptype ${extensionValue}`);
      candidate.tcpType = extensionValue as IceTcpType;
    } else {
      candidate.extensions.push([name, extensionValue]);
    }
  }
  return candidate;
}

/** Serializes the value of a candidate attribute (without `candidate:`), in RFC 8839 §5.1 field order. */
export function serializeCandidateValue(candidate: IceCandidate): string {
  const parts = [
    candidate.foundation,
    candidate.component,
    candidate.transport,
    candidate.priority,
    candidate.address,
    candidate.port,
    'typ',
    candidate.type,
  ];
  if (candidate.relatedAddress !== undefined) parts.push('raddr', candidate.relatedAddress);
  if (candidate.relatedPort !== undefined) parts.push('rport', candidate.relatedPort);
  if (candidate.tcpType !== undefined) parts.push('tcptype', candidate.tcpType);
  for (const [name, value] of candidate.extensions) parts.push(name, value);
  return parts.join(' ');
}

/**
 * Parses a candidate as a browser hands it over in trickle ICE (`RTCIceCandidate.candidate`):
 * `candidate:...`, with an optional `a=` prefix. Throws SdpParseError (line 0) on malformed input.
 */
export function parseCandidate(text: string): IceCandidate {
  const line = text.startsWith('a=') ? text.slice(2) : text;
  if (!line.startsWith('candidate:')) throw new SdpParseError(0, text, 'not a candidate attribute');
  try {
    return parseCandidateValue(line.slice('candidate:'.length));
  } catch (error) {
    if (error instanceof SdpFieldError) throw new SdpParseError(0, text, error.message);
    throw error;
  }
}

/** Serializes a candidate as `candidate:...`, the form trickle ICE and `RTCIceCandidate.candidate` use. */
export function serializeCandidate(candidate: IceCandidate): string {
  return `candidate:${serializeCandidateValue(candidate)}`;
}
