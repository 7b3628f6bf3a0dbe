/**
 * DTLS-SRTP (RFC 5764): the protection profiles we negotiate in use_srtp and the split of the exported
 * keying material into SRTP master keys and salts (§4.2).
 */

/** IANA "DTLS-SRTP Protection Profiles". */
export const SrtpProtectionProfile = {
  SRTP_AES128_CM_HMAC_SHA1_80: 0x0001,
  SRTP_AEAD_AES_128_GCM: 0x0007,
  SRTP_AEAD_AES_256_GCM: 0x0008,
} as const;

/** Our preference, GCM first (RFC 7714 §14.2 recommends it where both sides have it). */
export const defaultSrtpProfiles: readonly number[] = [
  SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM,
  SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM,
  SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80,
];

/** Master key and salt lengths per profile (RFC 5764 §4.1.2, RFC 7714 §12). */
const profileLengths = new Map<number, { keyLength: number; saltLength: number }>([
  [SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80, { keyLength: 16, saltLength: 14 }],
  [SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM, { keyLength: 16, saltLength: 12 }],
  [SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM, { keyLength: 32, saltLength: 12 }],
]);

export const SRTP_EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';

export interface SrtpKeyingMaterial {
  profile: number;
  clientMasterKey: Uint8Array;
  clientMasterSalt: Uint8Array;
  serverMasterKey: Uint8Array;
  serverMasterSalt: Uint8Array;
}

/** Length of the material to export for a profile: 2 * (key + salt). */
export function srtpKeyingMaterialLength(profile: number): number {
  const lengths = profileLengths.get(profile);
  if (!lengths) throw new RangeError(`unknown SRTP profile ${profile}`);
  return 2 * (lengths.keyLength + lengths.saltLength);
}

/**
 * RFC 5764 §4.2: client_write_SRTP_master_key, server_write_SRTP_master_key,
 * client_write_SRTP_master_salt, server_write_SRTP_master_salt, in that order.
 */
export function srtpKeyingMaterial(
  exporter: (label: string, length: number) => Uint8Array,
  profile: number,
): SrtpKeyingMaterial {
  const { keyLength, saltLength } = profileLengths.get(profile) ?? { keyLength: 0, saltLength: 0 };
  const material = exporter(SRTP_EXPORTER_LABEL, srtpKeyingMaterialLength(profile));
  let at = 0;
  const take = (n: number) => {
    const part = material.slice(at, at + n);
    at += n;
    return part;
  };
  return {
    profile,
    clientMasterKey: take(keyLength),
    serverMasterKey: take(keyLength),
    clientMasterSalt: take(saltLength),
    serverMasterSalt: take(saltLength),
  };
}
