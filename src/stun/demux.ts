/**
 * RFC 7983 §7 (as updated by RFC 9443): one UDP port carries STUN, ZRTP, DTLS, TURN ChannelData and
 * RTP/RTCP, told apart by the first byte:
 *
 *                 +----------------+
 *                 |        [0..3] -+--> forward to STUN
 *                 |      [16..19] -+--> forward to ZRTP
 *     packet -->  |      [20..63] -+--> forward to DTLS
 *                 |      [64..79] -+--> forward to TURN Channel
 *                 |    [128..191] -+--> forward to RTP/RTCP
 *                 +----------------+
 */
export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'unknown';

export function classifyPacket(firstByte: number): PacketKind {
  if (firstByte <= 3) return 'stun';
  if (firstByte >= 16 && firstByte <= 19) return 'zrtp';
  if (firstByte >= 20 && firstByte <= 63) return 'dtls';
  if (firstByte >= 64 && firstByte <= 79) return 'turn-channel';
  if (firstByte >= 128 && firstByte <= 191) return 'rtp';
  return 'unknown';
}

/**
 * A cheap pre-check before decoding (RFC 8489 §6.3, §5): a STUN first byte, a body length that is a
 * multiple of 4 and fits, and the magic cookie.
 */
export function looksLikeStun(packet: Uint8Array): boolean {
  if (packet.length < 20 || (packet[0] as number) > 3) return false;
  const length = ((packet[2] as number) << 8) | (packet[3] as number);
  return (
    length % 4 === 0 &&
    length + 20 === packet.length &&
    packet[4] === 0x21 &&
    packet[5] === 0x12 &&
    packet[6] === 0xa4 &&
    packet[7] === 0x42
  );
}
