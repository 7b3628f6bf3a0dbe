/**
 * TURN metrics for /metrics. The hot path only bumps plain numbers; prom-client reads them when scraped
 * (the `collect` hooks), so relaying a packet costs no registry work.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export class TurnCounters {
  allocations = 0;
  relayedBytesToPeer = 0;
  relayedBytesToClient = 0;
  relayedPacketsToPeer = 0;
  relayedPacketsToClient = 0;
  authFailures = 0;
  droppedPackets = 0;
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
}
