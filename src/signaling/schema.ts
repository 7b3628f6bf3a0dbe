import { streamIdPattern } from './protocol.ts';

/**
 * JSON Schemas of the client messages, as plain data so that this layer stays free of a validator and
 * runs in browsers; the server compiles them (Ajv). streamId is checked here only as a string: its
 * absence and its characters have their own error definitions (noStreamNameSpecified, invalidStreamName).
 */
const streamId = { type: 'string', maxLength: 256 } as const;

export const clientMessageSchemas = {
  ping: { type: 'object', properties: { command: { const: 'ping' } }, required: ['command'] },
  getIceServerConfig: {
    type: 'object',
    properties: { command: { const: 'getIceServerConfig' } },
    required: ['command'],
  },
  join: {
    type: 'object',
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
    properties: {
      command: { const: 'takeConfiguration' },
      streamId,
      type: { enum: ['offer', 'answer'] },
      // Bounded by the frame size limit (64 KiB); a maxLength here would scan every SDP.
      sdp: { type: 'string' },
    },
    required: ['command', 'streamId', 'type', 'sdp'],
  },
  takeCandidate: {
    type: 'object',
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
    properties: { command: { const: 'leave' }, streamId },
    required: ['command', 'streamId'],
  },
  stop: {
    type: 'object',
    properties: { command: { const: 'stop' }, streamId },
    required: ['command', 'streamId'],
  },
  peerMessageCommand: {
    type: 'object',
    properties: {
      command: { const: 'peerMessageCommand' },
      streamId,
      definition: { type: 'string', maxLength: 256 },
    },
    required: ['command', 'streamId'],
  },
} as const;

export { streamIdPattern };
