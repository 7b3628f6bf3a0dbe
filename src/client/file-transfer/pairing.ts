/**
 * What a receiver needs to find and trust a sender: the room on the signaling server, and a secret that
 * the server never sees (docs/file-transfer.md §9). A link carries the secret in its fragment, which
 * browsers do not send to the server (RFC 3986 §3.5); a code for `dyad receive` carries it after the room.
 *
 * Codes are written in Crockford's base32 (digits and lower-case letters without i, l, o, u), in groups of
 * four: `k3qd-7hxa-9mvw-2bfe-tq8c-n4ry`. The last four groups (16 characters, 80 bits from the system's
 * CSPRNG) are the secret; what comes before is the room. Reading is forgiving: upper case, spaces, and the
 * look-alikes i/l (for 1) and o (for 0) are accepted.
 */

export const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 16 characters of 5 bits: the 80 bits docs/file-transfer.md §9.3 asks of a secret that is not a PAKE's. */
export const SECRET_LENGTH = 16;
const GROUP = 4;

export interface Pairing {
  room: string;
  /** SECRET_LENGTH characters of CODE_ALPHABET. */
  secret: string;
}

/** `count` characters of CODE_ALPHABET, uniformly (32 divides 256, so `byte & 31` has no bias). */
export function randomCodeCharacters(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  return [...bytes].map((byte) => CODE_ALPHABET[byte & 31]).join('');
}

function grouped(text: string): string {
  return text.match(/.{1,4}/g)!.join('-');
}

/** A fresh pairing: a random two-group room (40 bits, so strangers rarely meet) and a fresh secret. */
export function newPairing(room?: string): Pairing {
  return {
    room: room ?? grouped(randomCodeCharacters(2 * GROUP)),
    secret: randomCodeCharacters(SECRET_LENGTH),
  };
}

/** The code a person types into `dyad receive`: the room, then the secret in groups of four. */
export function pairingCode(pairing: Pairing): string {
  return `${pairing.room}-${grouped(pairing.secret)}`;
}

/** Normalizes what a person typed for a secret: lower case, look-alikes mapped, separators dropped. */
function normalizeSecretText(text: string): string {
  return text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

export function isValidSecret(secret: string): boolean {
  return secret.length === SECRET_LENGTH && [...secret].every((c) => CODE_ALPHABET.includes(c));
}

/**
 * Reads a code (`room-xxxx-xxxx-xxxx-xxxx`); undefined when it is not one. The room keeps its case and its
 * own dashes: only the last four groups are the secret.
 */
export function parsePairingCode(code: string): Pairing | undefined {
  const groups = code.trim().split('-');
  if (groups.length < 5) return undefined;
  const secret = normalizeSecretText(groups.slice(-4).join(''));
  const room = groups.slice(0, -4).join('-');
  if (!isValidSecret(secret) || !/^[A-Za-z0-9_.-]{1,64}$/.test(room)) return undefined;
  return { room, secret };
}

/** Reads the secret from a link's fragment (`#` included or not); undefined when there is none. */
export function secretFromFragment(fragment: string): string | undefined {
  const secret = normalizeSecretText(fragment.replace(/^#/, ''));
  return isValidSecret(secret) ? secret : undefined;
}
