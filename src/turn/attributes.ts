/**
 * TURN attributes (RFC 8656 §18), added to the STUN attribute table with the value codecs of src/stun.
 * DONT-FRAGMENT is deliberately not defined: Node cannot set the DF bit, and RFC 8656 §7.2 tells a server
 * that cannot to treat the attribute as an unknown comprehension-required one.
 */
import {
  addressAttribute,
  bytesAttribute,
  defineStunAttribute,
  StunAttributeType,
  StunDecodeError,
  uint32Attribute,
} from '../stun/index.ts';

/** RFC 8656 §18.1: a 16-bit channel number followed by 16 reserved bits. */
export const CHANNEL_NUMBER = defineStunAttribute<number>({
  type: StunAttributeType.ChannelNumber,
  name: 'CHANNEL-NUMBER',
  encode(channel) {
    return Uint8Array.of(channel >> 8, channel & 0xff, 0, 0);
  },
  decode(value) {
    if (value.length !== 4) throw new StunDecodeError('bad-attribute', 'CHANNEL-NUMBER is 4 bytes');
    return ((value[0] as number) << 8) | (value[1] as number);
  },
});

/** RFC 8656 §18.2: seconds remaining until expiry. */
export const LIFETIME = uint32Attribute(StunAttributeType.Lifetime, 'LIFETIME');
export const XOR_PEER_ADDRESS = addressAttribute(StunAttributeType.XorPeerAddress, 'XOR-PEER-ADDRESS', true);
export const XOR_RELAYED_ADDRESS = addressAttribute(
  StunAttributeType.XorRelayedAddress,
  'XOR-RELAYED-ADDRESS',
  true,
);
/** RFC 8656 §18.4: the application data, any length the message allows. */
export const DATA = bytesAttribute(StunAttributeType.Data, 'DATA', 0, 0xffff);
/** RFC 8656 §18.5: 8 opaque bytes naming a reserved relay port. */
export const RESERVATION_TOKEN = bytesAttribute(
  StunAttributeType.ReservationToken,
  'RESERVATION-TOKEN',
  8,
  8,
);

/** RFC 8656 §18.6: family 0x01 (IPv4) or 0x02 (IPv6), then 24 reserved bits; other values are kept for a 440. */
export const REQUESTED_ADDRESS_FAMILY = defineStunAttribute<number>({
  type: StunAttributeType.RequestedAddressFamily,
  name: 'REQUESTED-ADDRESS-FAMILY',
  encode: (family) => Uint8Array.of(family, 0, 0, 0),
  decode(value) {
    if (value.length !== 4) throw new StunDecodeError('bad-attribute', 'REQUESTED-ADDRESS-FAMILY is 4 bytes');
    return value[0] as number;
  },
});

/** RFC 8656 §18.7: one byte whose top bit R asks to reserve the next port too. */
export const EVEN_PORT = defineStunAttribute<{ reserveNext: boolean }>({
  type: StunAttributeType.EvenPort,
  name: 'EVEN-PORT',
  encode: ({ reserveNext }) => Uint8Array.of(reserveNext ? 0x80 : 0),
  decode(value) {
    if (value.length < 1 || value.length > 4)
      throw new StunDecodeError('bad-attribute', 'EVEN-PORT is 1 byte');
    return { reserveNext: ((value[0] as number) & 0x80) !== 0 };
  },
});

/** RFC 8656 §18.8: the IANA protocol number (17 = UDP), then 24 reserved bits. */
export const REQUESTED_TRANSPORT = defineStunAttribute<number>({
  type: StunAttributeType.RequestedTransport,
  name: 'REQUESTED-TRANSPORT',
  encode: (protocol) => Uint8Array.of(protocol, 0, 0, 0),
  decode(value) {
    if (value.length !== 4) throw new StunDecodeError('bad-attribute', 'REQUESTED-TRANSPORT is 4 bytes');
    return value[0] as number;
  },
});

/** RFC 8656 §18.6 family codes. */
export const AddressFamilyCode = { IPv4: 0x01, IPv6: 0x02 } as const;
export const UDP_PROTOCOL = 17;
