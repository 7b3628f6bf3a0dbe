/**
 * TURN metrics for /metrics. The hot path only bumps plain numbers; prom-client reads them when scraped
 * (the `collect` hooks), so relaying a packet costs no registry work.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Where input from outside comes in: the client listeners, and the relay sockets peers send to. */
export type TurnInputTransport = 'udp' | 'tcp' | 'tls' | 'relay';

/** Why an Allocate was refused for capacity: RFC 8656 §7.2 step 10 (486 per user or source, 508 in total). */
export type AllocationRefusal = 'user_quota' | 'address_quota' | 'total_quota';

export class TurnCounters {
  allocations = 0;
  relayedBytesToPeer = 0;
  relayedBytesToClient = 0;
  relayedPacketsToPeer = 0;
  relayedPacketsToClient = 0;
  /** Data one allocation sent to another's relayed address, handed over inside the server. */
  relayedBytesBetweenAllocations = 0;
  relayedPacketsBetweenAllocations = 0;
  authFailures = 0;
  /** Requests refused because their user's credentials were revoked. */
  revokedRequests = 0;
  droppedPackets = 0;
  /** Packets or stream chunks whose handler threw: the packet was dropped or the connection closed. */
  readonly inputErrors: Record<TurnInputTransport, number> = { udp: 0, tcp: 0, tls: 0, relay: 0 };
  readonly allocationsRefused: Record<AllocationRefusal, number> = {
    user_quota: 0,
    address_quota: 0,
    total_quota: 0,
  };
}

export function registerTurnMetrics(registry: Registry, counters: TurnCounters): void {
  new Gauge({
    name: 'dyad_turn_allocations',
    help: 'TURN allocations currently active',
    registers: [registry],
    collect() {
      this.set(counters.allocations);
    },
  });
  new Counter({
    name: 'dyad_turn_relayed_bytes_total',
    help: 'Application bytes relayed by TURN',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ direction: 'to_peer' }, counters.relayedBytesToPeer);
      this.inc({ direction: 'to_client' }, counters.relayedBytesToClient);
      this.inc({ direction: 'between_allocations' }, counters.relayedBytesBetweenAllocations);
    },
  });
  new Counter({
    name: 'dyad_turn_relayed_packets_total',
    help: 'Packets relayed by TURN',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ direction: 'to_peer' }, counters.relayedPacketsToPeer);
      this.inc({ direction: 'to_client' }, counters.relayedPacketsToClient);
      this.inc({ direction: 'between_allocations' }, counters.relayedPacketsBetweenAllocations);
    },
  });
  new Counter({
    name: 'dyad_turn_auth_failures_total',
    help: 'TURN requests refused for missing, wrong or stale credentials',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.authFailures);
    },
  });
  new Counter({
    name: 'dyad_turn_dropped_packets_total',
    help: 'Malformed, unauthorized or rate-limited packets dropped by TURN',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.droppedPackets);
    },
  });
  new Counter({
    name: 'dyad_turn_revoked_requests_total',
    help: 'TURN requests refused because the credentials of their user were revoked',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(counters.revokedRequests);
    },
  });
  new Counter({
    name: 'dyad_turn_input_errors_total',
    help: 'Packets (UDP, relay) dropped or connections (TCP, TLS) closed because handling their input threw',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [transport, count] of Object.entries(counters.inputErrors)) this.inc({ transport }, count);
    },
  });
  new Counter({
    name: 'dyad_turn_allocations_refused_total',
    help: 'Allocate requests refused by a quota (486 per user or client address, 508 in total)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(counters.allocationsRefused)) this.inc({ reason }, count);
    },
  });
}
