/**
 * Dyad's client SDK: a peer-to-peer call through an Ant Media compatible signaling server, in browsers and
 * in Node (with an injected WebSocket and a W3C RTCPeerConnection).
 */
export { defaultReconnectPolicy, type ReconnectPolicy, reconnectDelayMs } from './backoff.ts';
export {
  type CallState,
  DyadCall,
  type JoinOptions,
  joinRoom,
  type PeerConnectionConstructor,
  type WebSocketConstructor,
  type WebSocketLike,
} from './call.ts';
export {
  CallDataChannelEvent,
  CallErrorEvent,
  CallPeerMessageEvent,
  CallReconnectingEvent,
  CallStateEvent,
  CallTrackEvent,
  type DyadCallEventMap,
} from './events.ts';
export * from './file-transfer/index.ts';
export { iceServersFromConfig, parseServerMessage } from './messages.ts';
