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

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(text)) return undefined;
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
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return false;
  const expiry = Number(match[1]);
  if (expiry <= nowSeconds) return false;
  const mac = fromBase64Url(match[2] ?? '');
  if (!mac) return false;
  // subtle.verify compares in constant time.
  return crypto.subtle.verify('HMAC', await hmacKey(secret), mac, encoder.encode(`${room}\n${expiry}`));
}
