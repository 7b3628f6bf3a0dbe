/**
 * WebIDL conversions (https://webidl.spec.whatwg.org/#es-type-mapping) of the arguments W3C WebRTC
 * declares, where JavaScript callers can pass anything: USVString, boolean and enum members of
 * RTCDataChannelInit.
 */
import type { RTCDataChannelInit, RTCPriorityType } from '../datachannel/index.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** WebIDL USVString: ToString, then every lone surrogate becomes U+FFFD. */
export function usvString(value: unknown): string {
  if (typeof value === 'symbol') throw new TypeError('a Symbol is not a string');
  return String(value).replace(LONE_SURROGATE, '\uFFFD');
}

const priorities: readonly string[] = ['very-low', 'low', 'medium', 'high'];

/**
 * W3C §6.1 RTCDataChannelInit as WebIDL converts the dictionary: booleans by ToBoolean (null is false),
 * protocol as a USVString (null is "null"), priority from its enum (TypeError otherwise). Numbers are
 * range-checked by the data channel transport.
 */
export function dataChannelInit(value: unknown): RTCDataChannelInit {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' && typeof value !== 'function')
    throw new TypeError('RTCDataChannelInit must be an object');
  const init = value as Record<keyof RTCDataChannelInit, unknown>;
  const converted: RTCDataChannelInit = {};
  if (init.ordered !== undefined) converted.ordered = Boolean(init.ordered);
  if (init.negotiated !== undefined) converted.negotiated = Boolean(init.negotiated);
  if (init.protocol !== undefined) converted.protocol = usvString(init.protocol);
  if (init.maxPacketLifeTime != null) converted.maxPacketLifeTime = Number(init.maxPacketLifeTime);
  if (init.maxRetransmits != null) converted.maxRetransmits = Number(init.maxRetransmits);
  if (init.id != null) converted.id = Number(init.id);
  if (init.priority !== undefined) {
    const priority = usvString(init.priority);
    if (!priorities.includes(priority)) throw new TypeError(`bad priority ${priority}`);
    converted.priority = priority as RTCPriorityType;
  }
  return converted;
}
