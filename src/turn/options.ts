/** What the TURN core is built from: injected clock, credentials, policy, relay sockets and limits. */
import type { IpFamily } from '../stun/index.ts';
import type { Clock } from '../util/index.ts';
import type { PeerAddressPolicy } from './address-policy.ts';
import type { RelaySocket } from './allocation.ts';
import type { CredentialStore, NonceIssuer } from './auth.ts';
import type { TurnCounters } from './metrics.ts';
import type { SourceRateLimiter } from './rate-limit.ts';

/** The subset of pino's logger the server uses. Secrets (passwords, keys, the REST secret) are never logged. */
export interface TurnLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Opens UDP relay sockets on the configured addresses and port range. */
export interface RelayAllocator {
  /** Families with a relay address configured. */
  readonly families: ReadonlySet<IpFamily>;
  /** A socket on a free port of the range (an even one if asked); rejects when none is free. */
  open(family: IpFamily, evenPort: boolean): Promise<RelaySocket>;
  /** A socket on this exact port; rejects if it is taken. */
  openAt(family: IpFamily, port: number): Promise<RelaySocket>;
}

export interface TurnQuotas {
  /** Allocations one user may hold at once (RFC 8656 §7.2: 486 beyond it). */
  readonly perUser: number;
  /** Allocations one client IP address may hold at once (RFC 8656 §7.2: 486 beyond it). */
  readonly perSourceAddress: number;
  /** Allocations the server holds at once (508 beyond it). */
  readonly total: number;
  /** Peers (permissions) one allocation may have. */
  readonly permissionsPerAllocation: number;
}

export interface TurnCoreOptions {
  readonly clock: Clock;
  readonly credentials: CredentialStore;
  readonly nonces: NonceIssuer;
  readonly policy: PeerAddressPolicy;
  readonly rateLimiter: SourceRateLimiter;
  readonly counters: TurnCounters;
  readonly relays: RelayAllocator;
  readonly quotas: TurnQuotas;
  /** RFC 8656 §7.2: 600 s by default, at most 3600 s. */
  readonly defaultLifetimeSeconds: number;
  readonly maxLifetimeSeconds: number;
  readonly logger?: TurnLogger;
}
