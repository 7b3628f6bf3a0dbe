import type { RelayedMessage } from './protocol.ts';

/** The fields a relayed message may carry, by command (what the partner receives, nothing more). */
const relayedFields: Readonly<Record<RelayedMessage['command'], ReadonlySet<string>>> = {
  takeConfiguration: new Set(['command', 'streamId', 'type', 'sdp']),
  takeCandidate: new Set(['command', 'streamId', 'label', 'id', 'candidate']),
  peerMessageCommand: new Set(['command', 'streamId', 'definition', 'data']),
};
const closingBrace = 0x7d;
/** Appended to a takeConfiguration: idMapping: {} keeps pages that pass no remoteVideoId working [SDK]. */
const idMappingTail = new TextEncoder().encode(',"idMapping":{}}');

/**
 * The JSON text of the message the partner receives, taken from the text the sender's message arrived in,
 * when that message (already parsed and validated) holds exactly the fields the partner would get: then
 * re-serializing it would only produce the same text again, at the cost of the SDP's escaping and UTF-8
 * encoding per relay. Otherwise undefined, and the relayed message is built field by field.
 * The partner's JSON.parse reads the same values from it as ours did (ECMA-262 JSON.parse: the last of
 * repeated keys wins, in both), so what it receives is what was validated.
 */
export function relayedText(message: RelayedMessage, source: Uint8Array): Uint8Array | undefined {
  const allowed = relayedFields[message.command];
  let count = 0;
  for (const key in message) {
    if (!allowed.has(key)) return undefined;
    count++;
  }
  switch (message.command) {
    case 'takeConfiguration': {
      if (count !== allowed.size) return undefined;
      const end = lastNonWhitespace(source);
      if (end < 0 || source[end] !== closingBrace) return undefined;
      const text = new Uint8Array(end + idMappingTail.length);
      text.set(source.subarray(0, end));
      text.set(idMappingTail, end);
      return text;
    }
    case 'takeCandidate':
      // A missing or null id is relayed as '' (the SDK reads it as sdpMid), which needs a new text.
      return count === allowed.size && typeof message.id === 'string' ? source : undefined;
    case 'peerMessageCommand':
      return source;
  }
}

/** Index of the last byte that is not JSON whitespace (RFC 8259 §2), or -1. */
function lastNonWhitespace(text: Uint8Array): number {
  let index = text.length - 1;
  while (index >= 0) {
    const byte = text[index];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) break;
    index--;
  }
  return index;
}
