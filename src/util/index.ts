export { ByteReader, ByteWriter, TruncatedInputError } from './bytes.ts';
export { type Clock, systemClock, type TimerHandle, VirtualClock } from './clock.ts';
