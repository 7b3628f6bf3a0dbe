export { jsonDepthWithin, maxFrameJsonDepth } from './json-limits.ts';
export * from './protocol.ts';
export {
  type DeliverMessage,
  InMemoryRoomBackend,
  type JoinOutcome,
  type LocalRooms,
  type RoomBackend,
  type RoomMember,
} from './room-backend.ts';
export { mintRoomToken, verifyRoomToken } from './room-token.ts';
export { clientMessageSchemas, maxSdpLength } from './schema.ts';
export {
  PeerSession,
  type SignalingObserver,
  SignalingService,
  type SignalingServiceOptions,
} from './service.ts';
