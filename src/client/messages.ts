import {
  type ClientMessage,
  clientMessageSchemas,
  type IceServerConfigMessage,
  jsonDepthWithin,
  maxFrameJsonDepth,
  type ServerMessage,
} from '../signaling/index.ts';

/**
 * The server closes a socket whose frame exceeds 64 KiB (1009), so the client never sends one, and ignores
 * larger server frames: a legitimate relayed message never comes near it.
 */
export const maxFrameBytes = 65_536;

const limits = {
  candidate: clientMessageSchemas.takeCandidate.properties.candidate.maxLength,
  candidateId: clientMessageSchemas.takeCandidate.properties.id.maxLength,
  label: clientMessageSchemas.takeCandidate.properties.label.maximum,
  streamId: clientMessageSchemas.join.properties.streamId.maxLength,
  definition: clientMessageSchemas.peerMessageCommand.properties.definition.maxLength,
  /** Ice server URIs and TURN credentials: generous, but bounded. */
  iceField: 1024,
};

type JsonObject = Record<string, unknown>;

function isBoundedString(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

function optionalBoundedString(value: unknown, maxLength: number): boolean {
  return value === undefined || isBoundedString(value, maxLength);
}

function streamIdOf(message: JsonObject): string | undefined {
  const { streamId } = message;
  return isBoundedString(streamId, limits.streamId) && streamId.length > 0 ? streamId : undefined;
}

/**
 * Parses one server frame into a typed message, or returns undefined for anything malformed, oversized or
 * unknown: the client ignores such frames (as AMS and its SDK do) instead of failing the call.
 */
export function parseServerMessage(frame: unknown): ServerMessage | undefined {
  if (typeof frame !== 'string' || frame.length > maxFrameBytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const message = value as JsonObject;
  switch (message.command) {
    case 'pong':
      return { command: 'pong' };
    case 'start':
    case 'stop': {
      const streamId = streamIdOf(message);
      return streamId === undefined ? undefined : { command: message.command, streamId };
    }
    case 'notification':
    case 'error': {
      const { definition } = message;
      if (!isBoundedString(definition, limits.definition)) return undefined;
      const streamId = streamIdOf(message);
      return streamId === undefined
        ? { command: message.command, definition }
        : { command: message.command, definition, streamId };
    }
    case 'iceServerConfig': {
      const { stunServerUri, turnServerUsername, turnServerCredential } = message;
      if (
        !isBoundedString(stunServerUri, limits.iceField) ||
        !optionalBoundedString(turnServerUsername, limits.iceField) ||
        !optionalBoundedString(turnServerCredential, limits.iceField)
      ) {
        return undefined;
      }
      return {
        command: 'iceServerConfig',
        stunServerUri,
        turnServerUsername: (turnServerUsername as string | undefined) ?? '',
        turnServerCredential: (turnServerCredential as string | undefined) ?? '',
      };
    }
    case 'takeConfiguration': {
      const streamId = streamIdOf(message);
      const { type, sdp } = message;
      if (streamId === undefined || (type !== 'offer' && type !== 'answer') || typeof sdp !== 'string') {
        return undefined;
      }
      return { command: 'takeConfiguration', streamId, type, sdp };
    }
    case 'takeCandidate': {
      const streamId = streamIdOf(message);
      const { label, id, candidate } = message;
      if (
        streamId === undefined ||
        !Number.isInteger(label) ||
        (label as number) < 0 ||
        (label as number) > limits.label ||
        !(id === undefined || id === null || isBoundedString(id, limits.candidateId)) ||
        !isBoundedString(candidate, limits.candidate)
      ) {
        return undefined;
      }
      return { command: 'takeCandidate', streamId, label: label as number, id: id ?? null, candidate };
    }
    case 'peerMessageCommand': {
      const streamId = streamIdOf(message);
      const { definition, data } = message;
      if (streamId === undefined || !optionalBoundedString(definition, limits.definition)) return undefined;
      return { command: 'peerMessageCommand', streamId, definition: definition as string | undefined, data };
    }
    default:
      return undefined;
  }
}

const utf8 = new TextEncoder();

/**
 * The frame for a client message, or undefined when the server would refuse it: larger than its frame
 * limit, or nested deeper than it accepts (a deep `data` would also overflow JSON.stringify's stack here).
 */
export function encodeClientMessage(message: ClientMessage): string | undefined {
  if (message.command === 'peerMessageCommand' && !jsonDepthWithin(message, maxFrameJsonDepth))
    return undefined;
  const frame = JSON.stringify(message);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: count bytes only when it could matter.
  if (frame.length * 3 > maxFrameBytes && utf8.encode(frame).length > maxFrameBytes) return undefined;
  return frame;
}

/**
 * The ICE servers an `iceServerConfig` describes [SDK]: a `stun:` URI is one STUN server; a `turn:` or
 * `turns:` URI is one TURN server with the given username and credential. Unlike Ant Media's SDK no public
 * STUN server is added: Dyad never reaches outside hosts unless told to. Anything else yields no servers.
 */
export function iceServersFromConfig(config: IceServerConfigMessage): RTCIceServer[] {
  const uri = config.stunServerUri.trim();
  if (uri.startsWith('stun:') || uri.startsWith('stuns:')) return [{ urls: uri }];
  if (uri.startsWith('turn:') || uri.startsWith('turns:')) {
    return [{ urls: uri, username: config.turnServerUsername, credential: config.turnServerCredential }];
  }
  return [];
}
