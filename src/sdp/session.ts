import { parseAttribute, type SdpAttribute, serializeAttribute } from './attributes.ts';
import { fieldError, parseInteger, SdpFieldError, SdpParseError, splitTokens } from './errors.ts';

/** RFC 8866 §5.2 origin (`o=`). Session id and version are kept as digit strings: they exceed 2^53. */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addressType: string;
  address: string;
}

/** RFC 8866 §5.7 connection data (`c=`). */
export interface SdpConnection {
  netType: string;
  addressType: string;
  /** The connection address as written, including any `/ttl/count` suffix. */
  address: string;
}

/** RFC 8866 §5.8 bandwidth (`b=`), e.g. `AS:30` or `TIAS:64000`. */
export interface SdpBandwidth {
  type: string;
  bandwidth: number;
}

/** RFC 8866 §5.9/5.10 timing (`t=`) and its repeat times (`r=`, kept verbatim). */
export interface SdpTiming {
  start: string;
  stop: string;
  repeats: string[];
}

/** RFC 8866 §5.14 media description (`m=` and the lines under it). */
export interface MediaDescription {
  /** `audio`, `video`, `application`, ... */
  media: string;
  port: number;
  portCount?: number;
  /** e.g. `UDP/TLS/RTP/SAVPF` or `UDP/DTLS/SCTP`. */
  protocol: string;
  /** Payload types for RTP, `webrtc-datachannel` for data. */
  formats: string[];
  information?: string;
  connections: SdpConnection[];
  bandwidths: SdpBandwidth[];
  encryptionKey?: string;
  attributes: SdpAttribute[];
}

/** RFC 8866 session description. */
export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  timing: SdpTiming[];
  timeZones?: string;
  encryptionKey?: string;
  attributes: SdpAttribute[];
  media: MediaDescription[];
}

export interface ParseSdpOptions {
  /** Refuse longer input before splitting it (an SDP from a peer is untrusted). Default 1 MiB. */
  maxLength?: number;
  /** Refuse more lines than this. Default 20,000. */
  maxLines?: number;
}

const defaultMaxLength = 1 << 20;
const defaultMaxLines = 20_000;

function parseConnection(value: string): SdpConnection {
  const [netType, addressType, address, extra] = value.split(' ');
  if (!netType || !addressType || !address || extra !== undefined) fieldError('c= needs 3 fields');
  return { netType, addressType, address };
}

function parseBandwidth(value: string): SdpBandwidth {
  const colon = value.indexOf(':');
  if (colon <= 0) fieldError('b= needs <type>:<bandwidth>');
  return {
    type: value.slice(0, colon),
    bandwidth: parseInteger(value.slice(colon + 1), 'bandwidth', 0, Number.MAX_SAFE_INTEGER),
  };
}

function parseOrigin(value: string): SdpOrigin {
  const fields = splitTokens(value, 'o=');
  if (fields.length !== 6) fieldError(`o= needs 6 fields, has ${fields.length}`);
  const [username, sessionId, sessionVersion, netType, addressType, address] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{1,20}$/.test(sessionId) || !/^\d{1,20}$/.test(sessionVersion))
    fieldError('o= session id and version must be decimal');
  return { username, sessionId, sessionVersion, netType, addressType, address };
}

function parseMediaLine(value: string): MediaDescription {
  const fields = splitTokens(value, 'm=');
  if (fields.length < 3) fieldError('m= needs <media> <port> <proto> [<fmt> ...]');
  const [media, portField, protocol, ...formats] = fields as [string, string, string, ...string[]];
  const [port, count, extra] = portField.split('/');
  if (extra !== undefined) fieldError(`bad m= port ${portField}`);
  const description: MediaDescription = {
    media,
    port: parseInteger(port, 'm= port', 0, 65535),
    protocol,
    formats,
    connections: [],
    bandwidths: [],
    attributes: [],
  };
  if (count !== undefined) description.portCount = parseInteger(count, 'm= port count', 1, 65535);
  return description;
}

function parseTiming(value: string): SdpTiming {
  const [start, stop, extra] = value.split(' ');
  if (!start || !stop || extra !== undefined || !/^\d+$/.test(start) || !/^\d+$/.test(stop))
    fieldError('t= needs <start> <stop>');
  return { start, stop, repeats: [] };
}

/** Which line types may appear at session level (RFC 8866 §5 order), and which under an m= line. */
const sessionTypes = 'vosiuepcbtrzkam';
const mediaTypes = 'icbka';

/**
 * Parses a session description (RFC 8866) as browsers write it: CRLF or LF line endings, a=lines typed
 * where JSEP (RFC 8829) uses them and kept verbatim otherwise. Every problem is an SdpParseError naming
 * the line; nothing else is thrown.
 */
export function parseSdp(text: string, options: ParseSdpOptions = {}): SessionDescription {
  const maxLength = options.maxLength ?? defaultMaxLength;
  if (typeof text !== 'string') throw new SdpParseError(0, '', 'description is not a string');
  if (text.length > maxLength)
    throw new SdpParseError(0, '', `description is longer than ${maxLength} characters`);
  const lines = text.split('\n');
  // A final line terminator leaves one empty string behind; anything else empty is an error below.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > (options.maxLines ?? defaultMaxLines))
    throw new SdpParseError(0, '', `description has more than ${options.maxLines ?? defaultMaxLines} lines`);

  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let media: MediaDescription | undefined;
  const partial: Omit<SessionDescription, 'version' | 'origin' | 'sessionName'> = {
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    attributes: [],
    media: [],
  };
  let version: number | undefined;

  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    try {
      // RFC 8866 §5: <type>=<value>, type one letter, no whitespace around '='.
      if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]!))
        fieldError('not a <type>=<value> line');
      const type = line[0]!;
      const value = line.slice(2);
      if (index === 0 && type !== 'v') fieldError('a description starts with v=');
      if (media) {
        if (type === 'm') {
          media = parseMediaLine(value);
          partial.media.push(media);
          return;
        }
        if (!mediaTypes.includes(type)) fieldError(`${type}= is not allowed in a media description`);
        parseMediaField(media, type, value);
        return;
      }
      if (!sessionTypes.includes(type)) fieldError(`unknown line type ${type}=`);
      switch (type) {
        case 'v':
          if (index !== 0) fieldError('v= appears twice');
          version = parseInteger(value, 'version', 0, 0);
          break;
        case 'o':
          if (origin) fieldError('o= appears twice');
          origin = parseOrigin(value);
          break;
        case 's':
          if (sessionName !== undefined) fieldError('s= appears twice');
          sessionName = value;
          break;
        case 'i':
          partial.information = value;
          break;
        case 'u':
          partial.uri = value;
          break;
        case 'e':
          partial.emails.push(value);
          break;
        case 'p':
          partial.phones.push(value);
          break;
        case 'c':
          partial.connection = parseConnection(value);
          break;
        case 'b':
          partial.bandwidths.push(parseBandwidth(value));
          break;
        case 't':
          partial.timing.push(parseTiming(value));
          break;
        case 'r': {
          const last = partial.timing[partial.timing.length - 1] ?? fieldError('r= before any t=');
          last.repeats.push(value);
          break;
        }
        case 'z':
          partial.timeZones = value;
          break;
        case 'k':
          partial.encryptionKey = value;
          break;
        case 'a':
          partial.attributes.push(parseAttributeLine(value));
          break;
        case 'm':
          if (!origin || sessionName === undefined) fieldError('m= before o= and s=');
          media = parseMediaLine(value);
          partial.media.push(media);
          break;
      }
    } catch (error) {
      if (error instanceof SdpFieldError) throw new SdpParseError(lineNumber, line, error.message);
      throw error;
    }
  });
  if (version === undefined) throw new SdpParseError(0, '', 'missing v=');
  if (!origin) throw new SdpParseError(0, '', 'missing o=');
  if (sessionName === undefined) throw new SdpParseError(0, '', 'missing s=');
  return { version, origin, sessionName, ...partial };
}

function parseAttributeLine(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  return colon < 0
    ? parseAttribute(value, undefined)
    : parseAttribute(value.slice(0, colon), value.slice(colon + 1));
}

function parseMediaField(media: MediaDescription, type: string, value: string): void {
  switch (type) {
    case 'i':
      media.information = value;
      break;
    case 'c':
      media.connections.push(parseConnection(value));
      break;
    case 'b':
      media.bandwidths.push(parseBandwidth(value));
      break;
    case 'k':
      media.encryptionKey = value;
      break;
    case 'a':
      media.attributes.push(parseAttributeLine(value));
      break;
  }
}

function connectionLine(connection: SdpConnection): string {
  return `c=${connection.netType} ${connection.addressType} ${connection.address}`;
}

/** Serializes a description in RFC 8866 §5 field order with CRLF line endings (as browsers write them). */
export function serializeSdp(description: SessionDescription): string {
  const o = description.origin;
  const lines = [
    `v=${description.version}`,
    `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addressType} ${o.address}`,
    `s=${description.sessionName}`,
  ];
  if (description.information !== undefined) lines.push(`i=${description.information}`);
  if (description.uri !== undefined) lines.push(`u=${description.uri}`);
  for (const email of description.emails) lines.push(`e=${email}`);
  for (const phone of description.phones) lines.push(`p=${phone}`);
  if (description.connection) lines.push(connectionLine(description.connection));
  for (const b of description.bandwidths) lines.push(`b=${b.type}:${b.bandwidth}`);
  for (const t of description.timing) {
    lines.push(`t=${t.start} ${t.stop}`);
    for (const repeat of t.repeats) lines.push(`r=${repeat}`);
  }
  if (description.timeZones !== undefined) lines.push(`z=${description.timeZones}`);
  if (description.encryptionKey !== undefined) lines.push(`k=${description.encryptionKey}`);
  for (const attribute of description.attributes) lines.push(`a=${serializeAttribute(attribute)}`);
  for (const m of description.media) {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    lines.push(`m=${[m.media, port, m.protocol, ...m.formats].join(' ')}`);
    if (m.information !== undefined) lines.push(`i=${m.information}`);
    for (const connection of m.connections) lines.push(connectionLine(connection));
    for (const b of m.bandwidths) lines.push(`b=${b.type}:${b.bandwidth}`);
    if (m.encryptionKey !== undefined) lines.push(`k=${m.encryptionKey}`);
    for (const attribute of m.attributes) lines.push(`a=${serializeAttribute(attribute)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
