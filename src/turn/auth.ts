/**
 * Long-term credentials for TURN (RFC 8489 §9.2, RFC 8656 §5): static users, and the TURN REST API scheme
 * (draft-uberti-behave-turn-rest-00, coturn's use-auth-secret) where the username is "expiry:user" and the
 * password is base64(HMAC-SHA1(secret, username)), so credentials expire without any server state.
 * Nonces are stateless too: they carry their expiry and an HMAC binding them to the client's IP address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { longTermKey } from '../stun/index.ts';

export interface TurnRestCredentials {
  readonly username: string;
  readonly password: string;
  /** Seconds the credentials stay valid. */
  readonly ttl: number;
}

/** Credentials a client (the web app, the ICE agent) can use until `ttlSeconds` from now. */
export function createTurnRestCredentials(
  secret: string,
  user: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): TurnRestCredentials {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${user}`;
  return { username, password: restPassword(secret, username), ttl: ttlSeconds };
}

function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/**
 * The user a TURN REST username "expiry:user" names (the user part), or a static username itself: what
 * quotas are counted against and what revokeUser names.
 */
export function quotaUserOf(username: string): string {
  const colon = username.indexOf(':');
  return colon >= 0 && /^\d+$/.test(username.slice(0, colon)) ? username.slice(colon + 1) : username;
}

export interface CredentialOptions {
  readonly realm: string;
  /** TURN REST API shared secret. */
  readonly authSecret?: string;
  /** Fixed long-term users: user -> password. */
  readonly staticUsers?: ReadonlyMap<string, string>;
  /** Wall-clock time in ms, for REST expiry timestamps (Unix seconds). */
  readonly wallClock?: () => number;
}

/** Finds the long-term key of a username, or undefined when the user is unknown or expired. */
export class CredentialStore {
  readonly #options: CredentialOptions;
  readonly #staticKeys = new Map<string, Uint8Array>();

  constructor(options: CredentialOptions) {
    this.#options = options;
    for (const [user, password] of options.staticUsers ?? []) {
      this.#staticKeys.set(user, longTermKey(user, options.realm, password));
    }
  }

  get realm(): string {
    return this.#options.realm;
  }

  keyFor(username: string): Uint8Array | undefined {
    const fixed = this.#staticKeys.get(username);
    if (fixed) return fixed;
    const secret = this.#options.authSecret;
    if (secret === undefined) return undefined;
    const colon = username.indexOf(':');
    const expiryText = colon >= 0 ? username.slice(0, colon) : username;
    if (!/^\d{1,12}$/.test(expiryText)) return undefined;
    const now = (this.#options.wallClock ?? Date.now)();
    if (Number(expiryText) * 1000 < now) return undefined;
    return longTermKey(username, this.#options.realm, restPassword(secret, username));
  }
}

/**
 * RFC 8489 §9.2: the server picks nonces and decides when they go stale (438). Here a nonce is
 * hex(expiry ms) "." base64url(HMAC(serverKey, expiry "|" client IP)[0..12]).
 */
export class NonceIssuer {
  readonly #key = randomBytes(32);
  readonly #lifetimeMs: number;

  constructor(lifetimeMs: number) {
    this.#lifetimeMs = lifetimeMs;
  }

  issue(clientIp: string, nowMs: number): string {
    const expiry = Math.floor(nowMs + this.#lifetimeMs).toString(16);
    return `${expiry}.${this.#mac(expiry, clientIp)}`;
  }

  /** 'valid', 'stale' (well formed and ours, but expired) or 'invalid'. */
  check(nonce: string, clientIp: string, nowMs: number): 'valid' | 'stale' | 'invalid' {
    const dot = nonce.indexOf('.');
    if (dot <= 0 || dot > 14) return 'invalid';
    const expiry = nonce.slice(0, dot);
    if (!/^[0-9a-f]+$/.test(expiry)) return 'invalid';
    const given = Buffer.from(nonce.slice(dot + 1));
    const expected = Buffer.from(this.#mac(expiry, clientIp));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number.parseInt(expiry, 16) > nowMs ? 'valid' : 'stale';
  }

  #mac(expiry: string, clientIp: string): string {
    return createHmac('sha256', this.#key)
      .update(`${expiry}|${clientIp}`)
      .digest()
      .subarray(0, 12)
      .toString('base64url');
  }
}
