export { ByteReader, ByteWriter, TruncatedInputError } from './bytes.ts';
export { type Clock, SystemClock, systemClock, type TimerHandle, VirtualClock } from './clock.ts';
export { randomBytes, randomUint32 } from './random.ts';
export { seededRandom } from './seeded-random.ts';
export {
  type DatagramHandler,
  type LinkConditions,
  type NatBehavior,
  type NatOptions,
  type VirtualEndpoint,
  VirtualNat,
  VirtualNetwork,
  type VirtualNetworkOptions,
  type VirtualNetworkStats,
  VirtualUdpSocket,
} from './virtual-network.ts';
