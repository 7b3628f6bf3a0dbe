import { maxFrameJsonDepth } from './json-limits.ts';
import { streamIdPattern } from './protocol.ts';

/**
 * JSON Schemas of the client messages, as plain data so that this layer stays free of a validator and
 * runs in browsers; the server compiles them (Ajv). streamId is checked here only as a string: its
 * absence and its characters have their own error definitions (noStreamNameSpecified, invalidStreamName).
 * `maxDepth` is our keyword (jsonDepthWithin): every frame nests at most maxFrameJsonDepth levels, so
 * free-form fields such as peerMessageCommand's `data` cannot be deep enough to overflow a later walk.
 * String lengths count UTF-16 code units (the server compiles with Ajv's `unicode: false`), which
 * keeps the check O(1) per string.
 */
const streamId = { type: 'string', maxLength: 256 } as const;
/** One SDP fills at most the 64 KiB frame; a real one is 2-10 KB. */
export const maxSdpLength = 65_536;
const maxDepth = maxFrameJsonDepth;

export const clientMessageSchemas = {
  ping: { type: 'object', maxDepth, properties: { command: { const: 'ping' } }, required: ['command'] },
  getIceServerConfig: {
    type: 'object',
    maxDepth,
    properties: { command: { const: 'getIceServerConfig' } },
    required: ['command'],
  },
  join: {
    type: 'object',
    maxDepth,
    properties: {
      command: { const: 'join' },
      streamId,
      mode: { enum: ['both', 'play', 'publish'] },
      multiPeer: { type: 'boolean' },
      token: { type: 'string', maxLength: 512 },
    },
    required: ['command', 'streamId'],
  },
  takeConfiguration: {
    type: 'object',
    maxDepth,
    properties: {
      command: { const: 'takeConfiguration' },
      streamId,
      type: { enum: ['offer', 'answer'] },
      sdp: { type: 'string', maxLength: maxSdpLength },
    },
    required: ['command', 'streamId', 'type', 'sdp'],
  },
  takeCandidate: {
    type: 'object',
    maxDepth,
    properties: {
      command: { const: 'takeCandidate' },
      streamId,
      // The SDK reads only `label` (sdpMLineIndex); a relayed candidate without it throws in the page [SDK].
      label: { type: 'integer', minimum: 0, maximum: 1024 },
      id: { type: ['string', 'null'], maxLength: 256 },
      candidate: { type: 'string', maxLength: 2048 },
    },
    required: ['command', 'streamId', 'label', 'candidate'],
  },
  leave: {
    type: 'object',
    maxDepth,
    properties: { command: { const: 'leave' }, streamId },
    required: ['command', 'streamId'],
  },
  stop: {
    type: 'object',
    maxDepth,
    properties: { command: { const: 'stop' }, streamId },
    required: ['command', 'streamId'],
  },
  peerMessageCommand: {
    type: 'object',
    maxDepth,
    properties: {
      command: { const: 'peerMessageCommand' },
      streamId,
      definition: { type: 'string', maxLength: 256 },
    },
    required: ['command', 'streamId'],
  },
} as const;

export { streamIdPattern };
