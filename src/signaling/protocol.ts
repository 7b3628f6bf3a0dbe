/**
 * Ant Media Server's peer-to-peer signaling protocol, as the official SDK (@antmedia/webrtc_adaptor 2.16.2)
 * speaks it. docs/signaling-protocol.md is its reference and says what the rule tags ([SDK], [DOC], [AMS], [INF]) mean.
 */

/** Error definitions sent as `{ command: 'error', definition }`. The SDK surfaces them verbatim. */
export const SignalingError = {
  noStreamNameSpecified: 'noStreamNameSpecified',
  invalidStreamName: 'invalidStreamName',
  noPeerAssociatedBefore: 'no_peer_associated_before',
  roomFull: 'room_full',
  unauthorized: 'unauthorized',
  invalidMessage: 'invalid_message',
  rateLimited: 'rate_limited',
  tooManyRooms: 'too_many_rooms',
  deliveryFailed: 'delivery_failed',
} as const;
export type SignalingErrorDefinition = (typeof SignalingError)[keyof typeof SignalingError];

/** Notification definitions sent as `{ command: 'notification', definition }`. */
export const SignalingNotification = {
  joined: 'joined',
  leaved: 'leaved',
  serverWillStop: 'server_will_stop',
} as const;

/** AMS accepts only these characters in stream ids [AMS]; the length bound is ours [INF]. */
export const streamIdPattern = '^[A-Za-z0-9_.\\-]{1,128}$';
const streamIdRegExp = new RegExp(streamIdPattern);

export function isValidStreamId(streamId: string): boolean {
  return streamIdRegExp.test(streamId);
}

/** Two peers make a P2P call; a third is refused with room_full [INF]. */
export const roomCapacity = 2;

export type JoinMode = 'both' | 'play';
export type SessionDescriptionType = 'offer' | 'answer';

export type PingMessage = { command: 'ping' };
export type GetIceServerConfigMessage = { command: 'getIceServerConfig' };
export type JoinMessage = {
  command: 'join';
  streamId: string;
  mode?: JoinMode;
  multiPeer?: boolean;
  /** Required when the server was started with a room-token secret. */
  token?: string;
};
export type TakeConfigurationMessage = {
  command: 'takeConfiguration';
  streamId: string;
  type: SessionDescriptionType;
  sdp: string;
  idMapping?: Record<string, unknown>;
};
export type TakeCandidateMessage = {
  command: 'takeCandidate';
  streamId: string;
  label: number;
  id?: string | null;
  candidate: string;
};
export type LeaveMessage = { command: 'leave'; streamId: string };
export type StopMessage = { command: 'stop'; streamId: string };
export type PeerMessageCommandMessage = {
  command: 'peerMessageCommand';
  streamId: string;
  definition?: string;
  data?: unknown;
};

export type ClientMessage =
  | PingMessage
  | GetIceServerConfigMessage
  | JoinMessage
  | TakeConfigurationMessage
  | TakeCandidateMessage
  | LeaveMessage
  | StopMessage
  | PeerMessageCommandMessage;
export type ClientCommand = ClientMessage['command'];

export type IceServerConfigMessage = {
  command: 'iceServerConfig';
  stunServerUri: string;
  turnServerUsername: string;
  turnServerCredential: string;
};
export type NotificationMessage = { command: 'notification'; definition: string; streamId?: string };
export type StartMessage = { command: 'start'; streamId: string };
export type ErrorMessage = { command: 'error'; definition: string; streamId?: string };

/** Messages the server relays from one peer to its partner. */
export type RelayedMessage = TakeConfigurationMessage | TakeCandidateMessage | PeerMessageCommandMessage;

export type ServerMessage =
  | { command: 'pong' }
  | IceServerConfigMessage
  | NotificationMessage
  | StartMessage
  | StopMessage
  | ErrorMessage
  | RelayedMessage;
