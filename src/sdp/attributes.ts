import { type IceCandidate, parseCandidateValue, serializeCandidateValue } from './candidate.ts';
import { fieldError, parseInteger, splitTokens } from './errors.ts';

/** RFC 8866 §6.7 media direction. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** RFC 4145 §4 / RFC 8842 §5 DTLS setup role. */
export type SetupRole = 'active' | 'passive' | 'actpass' | 'holdconn';
/** A `name` or `name=value` entry of an fmtp or rid parameter list. */
export type FormatParameter = { name: string; value?: string };
/** RFC 8853 §5.1: alternatives of one simulcast stream; `paused` is the `~` prefix. */
export type SimulcastStream = { rid: string; paused: boolean }[];

/**
 * An SDP attribute line (`a=`), typed where RFC 8866 / JSEP (RFC 8829) gives it a grammar, and kept verbatim
 * (`unknown`) otherwise, so a description re-serializes with every attribute in its original order.
 */
export type SdpAttribute =
  | { type: 'ice-ufrag'; value: string }
  | { type: 'ice-pwd'; value: string }
  | { type: 'ice-options'; options: string[] }
  | { type: 'ice-lite' }
  | { type: 'fingerprint'; algorithm: string; value: string }
  | { type: 'setup'; role: SetupRole }
  | { type: 'mid'; value: string }
  | { type: 'group'; semantics: string; mids: string[] }
  | { type: 'msid'; streamId: string; trackId?: string }
  | { type: 'rtcp-mux' }
  | { type: 'rtcp-mux-only' }
  | { type: 'rtcp-rsize' }
  | { type: 'rtpmap'; payloadType: number; encodingName: string; clockRate: number; channels?: number }
  | { type: 'fmtp'; format: string; parameters: FormatParameter[] }
  | { type: 'rtcp-fb'; payloadType: string; feedback: string }
  | { type: 'extmap'; id: number; direction?: MediaDirection; uri: string; extensionAttributes?: string }
  | { type: 'ssrc'; ssrc: number; attribute: string; value?: string }
  | { type: 'ssrc-group'; semantics: string; ssrcs: number[] }
  | { type: 'rid'; id: string; direction: 'send' | 'recv'; parameters: FormatParameter[] }
  | { type: 'simulcast'; send?: SimulcastStream[]; recv?: SimulcastStream[]; order: ('send' | 'recv')[] }
  | { type: 'sctp-port'; port: number }
  | { type: 'max-message-size'; size: number }
  | { type: 'candidate'; candidate: IceCandidate }
  | { type: 'end-of-candidates' }
  | { type: 'direction'; direction: MediaDirection }
  | { type: 'unknown'; name: string; value?: string };

export type SdpAttributeType = SdpAttribute['type'];
export type SdpAttributeOf<T extends SdpAttributeType> = Extract<SdpAttribute, { type: T }>;

const directions: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const setupRoles: readonly string[] = ['active', 'passive', 'actpass', 'holdconn'];
const flags = ['ice-lite', 'rtcp-mux', 'rtcp-mux-only', 'rtcp-rsize', 'end-of-candidates'] as const;
type FlagType = (typeof flags)[number];
// RFC 8866 §9: token = 1*(token-char), the characters allowed in attribute names and many values.
const tokenPattern = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
// RFC 8839 §5.4: ice-ufrag 4..256 ice-chars, ice-pwd 22..256 ice-chars.
const iceCharPattern = /^[A-Za-z0-9+/]+$/;

function token(text: string | undefined, what: string): string {
  if (text === undefined || !tokenPattern.test(text)) fieldError(`bad ${what}: ${text}`);
  return text;
}

function parseParameters(text: string, what: string): FormatParameter[] {
  if (text.length === 0) return [];
  return text.split(';').map((entry) => {
    const trimmed = entry.trim();
    if (trimmed.length === 0) fieldError(`empty ${what} parameter`);
    const eq = trimmed.indexOf('=');
    return eq < 0 ? { name: trimmed } : { name: trimmed.slice(0, eq), value: trimmed.slice(eq + 1) };
  });
}

function serializeParameters(parameters: FormatParameter[]): string {
  return parameters.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`)).join(';');
}

// RFC 8853 §5.1: sc-str-list = sc-alt-list *(";" sc-alt-list); sc-alt-list = sc-id *("," sc-id).
function parseSimulcastStreams(text: string): SimulcastStream[] {
  return text.split(';').map((stream) =>
    stream.split(',').map((id) => {
      const paused = id.startsWith('~');
      const rid = paused ? id.slice(1) : id;
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(rid)) fieldError(`bad simulcast rid ${id}`);
      return { rid, paused };
    }),
  );
}

function serializeSimulcastStreams(streams: SimulcastStream[]): string {
  return streams
    .map((alternatives) => alternatives.map((a) => `${a.paused ? '~' : ''}${a.rid}`).join(','))
    .join(';');
}

/** Splits `value` at its first space: `[head, rest]`, rest undefined when there is no space. */
function splitFirst(value: string): [string, string | undefined] {
  const space = value.indexOf(' ');
  return space < 0 ? [value, undefined] : [value.slice(0, space), value.slice(space + 1)];
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) fieldError(`a=${name} needs a value`);
  return value;
}

/**
 * Parses one attribute from its name and its value (the text after the first `:`, undefined for a
 * property attribute). Throws SdpFieldError when a known attribute breaks its grammar.
 */
export function parseAttribute(name: string, value: string | undefined): SdpAttribute {
  if (!tokenPattern.test(name)) fieldError(`bad attribute name ${name}`);
  if ((flags as readonly string[]).includes(name) && value === undefined) return { type: name as FlagType };
  if (directions.includes(name) && value === undefined)
    return { type: 'direction', direction: name as MediaDirection };
  switch (name) {
    case 'ice-ufrag':
    case 'ice-pwd': {
      const v = required(value, name);
      // Browsers stay within the RFC 8839 §5.4 alphabet; the lengths are not enforced here because
      // deployed peers (and old Chromium) send shorter values and the ICE layer checks what it needs.
      if (!iceCharPattern.test(v) || v.length > 256) fieldError(`bad ${name} ${v}`);
      return { type: name, value: v };
    }
    case 'ice-options':
      return { type: 'ice-options', options: splitTokens(required(value, name), name) };
    case 'fingerprint': {
      const [algorithm, fingerprint] = splitFirst(required(value, name));
      if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/.test(fingerprint ?? '')) fieldError('bad fingerprint value');
      return { type: 'fingerprint', algorithm: token(algorithm, 'hash function'), value: fingerprint! };
    }
    case 'setup': {
      const role = required(value, name);
      if (!setupRoles.includes(role)) fieldError(`bad setup role ${role}`);
      return { type: 'setup', role: role as SetupRole };
    }
    case 'mid':
      return { type: 'mid', value: token(required(value, name), 'mid') };
    case 'group': {
      const [semantics, ...mids] = splitTokens(required(value, name), name);
      return { type: 'group', semantics: token(semantics, 'group semantics'), mids };
    }
    case 'msid': {
      const [streamId, trackId] = splitFirst(required(value, name));
      if (streamId.length === 0 || trackId === '') fieldError('bad msid');
      return trackId === undefined ? { type: 'msid', streamId } : { type: 'msid', streamId, trackId };
    }
    case 'rtpmap': {
      const [pt, encoding] = splitFirst(required(value, name));
      const [encodingName, clockRate, channels, extra] = (encoding ?? '').split('/');
      if (!encodingName || extra !== undefined) fieldError(`bad rtpmap encoding ${encoding}`);
      const attribute: SdpAttribute = {
        type: 'rtpmap',
        payloadType: parseInteger(pt, 'payload type', 0, 127),
        encodingName: token(encodingName, 'encoding name'),
        clockRate: parseInteger(clockRate, 'clock rate', 1, 2 ** 32 - 1),
      };
      if (channels !== undefined) attribute.channels = parseInteger(channels, 'channels', 1, 255);
      return attribute;
    }
    case 'fmtp': {
      const [format, parameters] = splitFirst(required(value, name));
      return {
        type: 'fmtp',
        format: token(format, 'fmtp format'),
        parameters: parseParameters(parameters ?? '', name),
      };
    }
    case 'rtcp-fb': {
      const [pt, feedback] = splitFirst(required(value, name));
      if (pt !== '*') parseInteger(pt, 'payload type', 0, 127);
      if (!feedback) fieldError('rtcp-fb without a feedback type');
      return { type: 'rtcp-fb', payloadType: pt, feedback };
    }
    case 'extmap': {
      const [idAndDirection, rest] = splitFirst(required(value, name));
      const [id, direction] = idAndDirection.split('/');
      const [uri, extensionAttributes] = splitFirst(rest ?? '');
      if (!uri) fieldError('extmap without a URI');
      const attribute: SdpAttribute = { type: 'extmap', id: parseInteger(id, 'extmap id', 1, 4095), uri };
      if (direction !== undefined) {
        if (!directions.includes(direction)) fieldError(`bad extmap direction ${direction}`);
        attribute.direction = direction as MediaDirection;
      }
      if (extensionAttributes !== undefined) attribute.extensionAttributes = extensionAttributes;
      return attribute;
    }
    case 'ssrc': {
      const [ssrc, rest] = splitFirst(required(value, name));
      const source = rest ?? fieldError('ssrc without an attribute');
      const colon = source.indexOf(':');
      const attributeName = colon < 0 ? source : source.slice(0, colon);
      const attribute: SdpAttribute = {
        type: 'ssrc',
        ssrc: parseInteger(ssrc, 'ssrc', 0, 0xffffffff),
        attribute: token(attributeName, 'ssrc attribute'),
      };
      if (colon >= 0) attribute.value = source.slice(colon + 1);
      return attribute;
    }
    case 'ssrc-group': {
      const [semantics, ...ssrcs] = splitTokens(required(value, name), name);
      return {
        type: 'ssrc-group',
        semantics: token(semantics, 'ssrc-group semantics'),
        ssrcs: ssrcs.map((s) => parseInteger(s, 'ssrc', 0, 0xffffffff)),
      };
    }
    case 'rid': {
      // RFC 8851 §10: rid-syntax = "a=rid:" rid-id SP rid-dir [ rid-pt-param-list / rid-param-list ]
      const [id, direction, parameters, extra] = required(value, name).split(' ');
      if (!id || !/^[A-Za-z0-9_-]{1,255}$/.test(id)) fieldError(`bad rid id ${id}`);
      if (direction !== 'send' && direction !== 'recv') fieldError(`bad rid direction ${direction}`);
      if (extra !== undefined) fieldError('rid has too many fields');
      return { type: 'rid', id, direction, parameters: parseParameters(parameters ?? '', name) };
    }
    case 'simulcast': {
      // RFC 8853 §5.1: sc-value = ( sc-send [SP sc-recv] ) / ( sc-recv [SP sc-send] )
      const tokens = splitTokens(required(value, name), name);
      if (tokens.length !== 2 && tokens.length !== 4) fieldError('simulcast needs one or two directions');
      const attribute: SdpAttribute = { type: 'simulcast', order: [] };
      for (let i = 0; i < tokens.length; i += 2) {
        const direction = tokens[i];
        if ((direction !== 'send' && direction !== 'recv') || attribute[direction])
          fieldError(`bad simulcast direction ${direction}`);
        attribute[direction] = parseSimulcastStreams(tokens[i + 1]!);
        attribute.order.push(direction);
      }
      return attribute;
    }
    case 'sctp-port':
      return { type: 'sctp-port', port: parseInteger(value, 'sctp-port', 0, 65535) };
    case 'max-message-size':
      return {
        type: 'max-message-size',
        size: parseInteger(value, 'max-message-size', 0, Number.MAX_SAFE_INTEGER),
      };
    case 'candidate':
      return { type: 'candidate', candidate: parseCandidateValue(required(value, name)) };
    default:
      return value === undefined ? { type: 'unknown', name } : { type: 'unknown', name, value };
  }
}

/** The `name[:value]` text of an attribute, without the `a=` prefix. */
export function serializeAttribute(attribute: SdpAttribute): string {
  switch (attribute.type) {
    case 'ice-ufrag':
    case 'ice-pwd':
    case 'mid':
      return `${attribute.type}:${attribute.value}`;
    case 'ice-options':
      return `ice-options:${attribute.options.join(' ')}`;
    case 'ice-lite':
    case 'rtcp-mux':
    case 'rtcp-mux-only':
    case 'rtcp-rsize':
    case 'end-of-candidates':
      return attribute.type;
    case 'fingerprint':
      return `fingerprint:${attribute.algorithm} ${attribute.value}`;
    case 'setup':
      return `setup:${attribute.role}`;
    case 'group':
      return `group:${[attribute.semantics, ...attribute.mids].join(' ')}`;
    case 'msid':
      return `msid:${attribute.streamId}${attribute.trackId === undefined ? '' : ` ${attribute.trackId}`}`;
    case 'rtpmap':
      return `rtpmap:${attribute.payloadType} ${attribute.encodingName}/${attribute.clockRate}${attribute.channels === undefined ? '' : `/${attribute.channels}`}`;
    case 'fmtp':
      return `fmtp:${attribute.format}${attribute.parameters.length ? ` ${serializeParameters(attribute.parameters)}` : ''}`;
    case 'rtcp-fb':
      return `rtcp-fb:${attribute.payloadType} ${attribute.feedback}`;
    case 'extmap': {
      const direction = attribute.direction === undefined ? '' : `/${attribute.direction}`;
      const extra = attribute.extensionAttributes === undefined ? '' : ` ${attribute.extensionAttributes}`;
      return `extmap:${attribute.id}${direction} ${attribute.uri}${extra}`;
    }
    case 'ssrc':
      return `ssrc:${attribute.ssrc} ${attribute.attribute}${attribute.value === undefined ? '' : `:${attribute.value}`}`;
    case 'ssrc-group':
      return `ssrc-group:${[attribute.semantics, ...attribute.ssrcs].join(' ')}`;
    case 'rid': {
      const parameters = serializeParameters(attribute.parameters);
      return `rid:${attribute.id} ${attribute.direction}${parameters ? ` ${parameters}` : ''}`;
    }
    case 'simulcast':
      return `simulcast:${attribute.order.map((d) => `${d} ${serializeSimulcastStreams(attribute[d] ?? [])}`).join(' ')}`;
    case 'sctp-port':
      return `sctp-port:${attribute.port}`;
    case 'max-message-size':
      return `max-message-size:${attribute.size}`;
    case 'candidate':
      return `candidate:${serializeCandidateValue(attribute.candidate)}`;
    case 'direction':
      return attribute.direction;
    case 'unknown':
      return attribute.value === undefined ? attribute.name : `${attribute.name}:${attribute.value}`;
  }
}

/** The first attribute of a type, typed accordingly. */
export function findAttribute<T extends SdpAttributeType>(
  attributes: readonly SdpAttribute[],
  type: T,
): SdpAttributeOf<T> | undefined {
  return attributes.find((a): a is SdpAttributeOf<T> => a.type === type);
}

/** Every attribute of a type, in order. */
export function filterAttributes<T extends SdpAttributeType>(
  attributes: readonly SdpAttribute[],
  type: T,
): SdpAttributeOf<T>[] {
  return attributes.filter((a): a is SdpAttributeOf<T> => a.type === type);
}
