/**
 * Room tokens for optional access control: `<expiry>.<mac>`, where expiry is in Unix seconds and mac is
 * base64url(HMAC-SHA256(secret, "<room>\n<expiry>")). WebCrypto keeps this usable in browsers and Node.
 */
const encoder = new TextEncoder();

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** base64url of an HMAC-SHA256 (32 bytes): 43 characters, no padding. */
const macPattern = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export async function mintRoomToken(secret: string, room: string, expiresAtSeconds: number): Promise<string> {
  const expiry = Math.floor(expiresAtSeconds);
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(`${room}\n${expiry}`));
  return `${expiry}.${toBase64Url(new Uint8Array(mac))}`;
}

/** True when `token` was minted with `secret` for `room` and has not expired at `nowSeconds`. */
export async function verifyRoomToken(
  secret: string,
  room: string,
  token: string,
  nowSeconds: number,
): Promise<boolean> {
  // Only the text mintRoomToken writes is accepted: an expiry without leading zeros and a MAC in canonical
  // base64url (the last character's unused bits zero). Any other spelling of the same values is refused, so
  // one token has one text, and the number is never read from text the MAC did not sign as such.
  const match = /^([1-9]\d{0,11})\.(.+)$/.exec(token);
  const expiryText = match?.[1];
  const macText = match?.[2];
  if (expiryText === undefined || macText === undefined || !macPattern.test(macText)) return false;
  if (Number(expiryText) <= nowSeconds) return false;
  // subtle.verify compares in constant time.
  return crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret),
    fromBase64Url(macText),
    encoder.encode(`${room}\n${expiryText}`),
  );
}
