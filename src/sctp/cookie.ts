import { createHmac, timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter, randomBytes, TruncatedInputError } from '../util/index.ts';

/**
 * The State Cookie of RFC 9260 §5.1.3: everything needed to build the association (TCB) when the peer
 * echoes it, so a listener keeps no state before COOKIE ECHO. Authenticated with HMAC-SHA256 under a
 * secret of this endpoint; the creation time makes it expire (§5.1.5 step 3).
 */
export interface CookieContents {
  createdAt: number;
  localTag: number;
  peerTag: number;
  localInitialTsn: number;
  peerInitialTsn: number;
  peerReceiveWindow: number;
  peerOutboundStreams: number;
  peerInboundStreams: number;
  /** Chunk types the peer listed in Supported Extensions. */
  peerExtensions: number[];
  peerForwardTsn: boolean;
  peerZeroChecksum: boolean;
}

const MAC_LENGTH = 32;
const VERSION = 1;

export class CookieSigner {
  readonly #secret: Buffer;

  constructor(secret: Uint8Array = randomBytes(32)) {
    this.#secret = Buffer.from(secret);
  }

  sign(contents: CookieContents): Uint8Array {
    const writer = new ByteWriter(64)
      .u8(VERSION)
      .u48(Math.max(0, Math.floor(contents.createdAt)))
      .u32(contents.localTag)
      .u32(contents.peerTag)
      .u32(contents.localInitialTsn)
      .u32(contents.peerInitialTsn)
      .u32(contents.peerReceiveWindow)
      .u16(contents.peerOutboundStreams)
      .u16(contents.peerInboundStreams)
      .u8((contents.peerForwardTsn ? 1 : 0) | (contents.peerZeroChecksum ? 2 : 0))
      .u8(contents.peerExtensions.length)
      .bytes(Uint8Array.from(contents.peerExtensions.slice(0, 255)));
    const body = writer.finish();
    const mac = createHmac('sha256', this.#secret).update(body).digest();
    const cookie = new Uint8Array(body.length + MAC_LENGTH);
    cookie.set(body);
    cookie.set(mac, body.length);
    return cookie;
  }

  /**
   * The contents of an authentic cookie; undefined when forged, truncated or malformed. Staleness is the
   * caller's decision (it answers with a Stale Cookie error, §5.2.6).
   */
  verify(cookie: Uint8Array): CookieContents | undefined {
    if (cookie.length <= MAC_LENGTH) return undefined;
    const body = cookie.subarray(0, cookie.length - MAC_LENGTH);
    const mac = createHmac('sha256', this.#secret).update(body).digest();
    if (!timingSafeEqual(mac, cookie.subarray(cookie.length - MAC_LENGTH))) return undefined;
    try {
      const reader = new ByteReader(body);
      if (reader.u8('cookie version') !== VERSION) return undefined;
      const contents: CookieContents = {
        createdAt: reader.u48('created at'),
        localTag: reader.u32('local tag'),
        peerTag: reader.u32('peer tag'),
        localInitialTsn: reader.u32('local initial TSN'),
        peerInitialTsn: reader.u32('peer initial TSN'),
        peerReceiveWindow: reader.u32('peer a_rwnd'),
        peerOutboundStreams: reader.u16('peer outbound streams'),
        peerInboundStreams: reader.u16('peer inbound streams'),
        peerForwardTsn: false,
        peerZeroChecksum: false,
        peerExtensions: [],
      };
      const flags = reader.u8('flags');
      contents.peerForwardTsn = (flags & 1) !== 0;
      contents.peerZeroChecksum = (flags & 2) !== 0;
      contents.peerExtensions = [...reader.bytes(reader.u8('extension count'), 'extensions')];
      return contents;
    } catch (error) {
      if (error instanceof TruncatedInputError) return undefined;
      throw error;
    }
  }
}
