/**
 * Hello extensions (RFC 5246 §7.4.1.4) that a WebRTC DTLS 1.2 handshake uses, decoded into one typed
 * object. Unknown extensions are kept as raw bytes so a server can ignore them and a client can refuse them.
 */
import { ByteReader, type ByteWriter } from '../util/index.ts';
import { DtlsDecodeError } from './errors.ts';

export const ExtensionType = {
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  extended_master_secret: 23,
  renegotiation_info: 0xff01,
} as const;

export interface UseSrtp {
  /** SRTPProtectionProfile values (RFC 5764 §4.1.2, IANA "DTLS-SRTP Protection Profiles"). */
  profiles: number[];
  mki: Uint8Array;
}

export interface HelloExtensions {
  supportedGroups?: number[];
  ecPointFormats?: number[];
  signatureAlgorithms?: number[];
  useSrtp?: UseSrtp;
  extendedMasterSecret?: boolean;
  renegotiationInfo?: Uint8Array;
  unknown?: { type: number; data: Uint8Array }[];
}

function u16List(reader: ByteReader, field: string, min: number): number[] {
  const length = reader.u16(`${field} length`);
  if (length % 2 !== 0 || length < min) throw new DtlsDecodeError(field, `bad list length ${length}`);
  const list = reader.sub(length, field);
  const values: number[] = [];
  while (list.remaining > 0) values.push(list.u16(field));
  return values;
}

function decodeOne(type: number, data: Uint8Array, into: HelloExtensions): void {
  const reader = new ByteReader(data);
  switch (type) {
    case ExtensionType.supported_groups:
      // RFC 8422 §5.1.1: NamedCurveList<2..2^16-1>
      into.supportedGroups = u16List(reader, 'supported_groups', 2);
      break;
    case ExtensionType.ec_point_formats: {
      // RFC 8422 §5.1.2: ECPointFormatList<1..2^8-1>
      const length = reader.u8('ec_point_formats length');
      if (length < 1) throw new DtlsDecodeError('ec_point_formats', 'empty list');
      into.ecPointFormats = [...reader.bytes(length, 'ec_point_formats')];
      break;
    }
    case ExtensionType.signature_algorithms:
      // RFC 5246 §7.4.1.4.1: supported_signature_algorithms<2..2^16-2>
      into.signatureAlgorithms = u16List(reader, 'signature_algorithms', 2);
      break;
    case ExtensionType.use_srtp: {
      // RFC 5764 §4.1.1: SRTPProtectionProfiles<2..2^16-1>, opaque srtp_mki<0..255>
      const profiles = u16List(reader, 'use_srtp profiles', 2);
      const mki = reader.bytes(reader.u8('use_srtp mki length'), 'use_srtp mki');
      into.useSrtp = { profiles, mki };
      break;
    }
    case ExtensionType.extended_master_secret:
      // RFC 7627 §5.1: the extension_data is empty.
      into.extendedMasterSecret = true;
      break;
    case ExtensionType.renegotiation_info:
      // RFC 5746 §3.2: opaque renegotiated_connection<0..255>
      into.renegotiationInfo = reader.bytes(reader.u8('renegotiation_info length'), 'renegotiation_info');
      break;
    default:
      into.unknown ??= [];
      into.unknown.push({ type, data });
      return;
  }
  if (reader.remaining !== 0) throw new DtlsDecodeError(`extension ${type}`, 'trailing bytes');
}

/** Reads the optional extensions block that ends a ClientHello or ServerHello. */
export function decodeExtensions(reader: ByteReader): HelloExtensions {
  const extensions: HelloExtensions = {};
  if (reader.remaining === 0) return extensions;
  const block = reader.sub(reader.u16('extensions length'), 'extensions');
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16('extension type');
    const data = block.bytes(block.u16('extension length'), 'extension data');
    // RFC 5246 §7.4.1.4: there MUST NOT be more than one extension of the same type.
    if (seen.has(type)) throw new DtlsDecodeError('extensions', `duplicate extension ${type}`);
    seen.add(type);
    decodeOne(type, data, extensions);
  }
  return extensions;
}

function writeExtension(writer: ByteWriter, type: number, data: (w: ByteWriter) => void): void {
  writer.u16(type);
  const at = writer.length;
  writer.u16(0);
  data(writer);
  writer.patchU16(at, writer.length - at - 2);
}

function writeU16List(writer: ByteWriter, values: number[]): void {
  writer.u16(values.length * 2);
  for (const value of values) writer.u16(value);
}

/** Writes the extensions block with its length (an empty block is two zero bytes). */
export function encodeExtensions(writer: ByteWriter, extensions: HelloExtensions): void {
  const start = writer.length;
  writer.u16(0);
  if (extensions.renegotiationInfo) {
    const info = extensions.renegotiationInfo;
    writeExtension(writer, ExtensionType.renegotiation_info, (w) => w.u8(info.length).bytes(info));
  }
  if (extensions.extendedMasterSecret) writeExtension(writer, ExtensionType.extended_master_secret, () => {});
  if (extensions.supportedGroups) {
    const groups = extensions.supportedGroups;
    writeExtension(writer, ExtensionType.supported_groups, (w) => writeU16List(w, groups));
  }
  if (extensions.ecPointFormats) {
    const formats = extensions.ecPointFormats;
    writeExtension(writer, ExtensionType.ec_point_formats, (w) =>
      w.u8(formats.length).bytes(Uint8Array.from(formats)),
    );
  }
  if (extensions.signatureAlgorithms) {
    const schemes = extensions.signatureAlgorithms;
    writeExtension(writer, ExtensionType.signature_algorithms, (w) => writeU16List(w, schemes));
  }
  if (extensions.useSrtp) {
    const { profiles, mki } = extensions.useSrtp;
    writeExtension(writer, ExtensionType.use_srtp, (w) => {
      writeU16List(w, profiles);
      w.u8(mki.length).bytes(mki);
    });
  }
  for (const { type, data } of extensions.unknown ?? []) writeExtension(writer, type, (w) => w.bytes(data));
  writer.patchU16(start, writer.length - start - 2);
}
