import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RoomBackend, SignalingObserver } from '../signaling/index.ts';

/** Prometheus metrics of one server, on its own registry (several servers may share a process in tests). */
export class ServerMetrics implements SignalingObserver {
  readonly registry = new Registry();
  readonly peersConnected: Gauge;
  readonly #received: Counter;
  readonly #relayed: Counter;
  readonly #errors: Counter;
  readonly #relayLatency: Histogram;
  readonly #relayedByCommand = new Map<string, { count: Counter; latency: Histogram }>();

  constructor(backend: RoomBackend) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.peersConnected = new Gauge({
      name: 'dyad_signaling_peers_connected',
      help: 'WebSocket peers connected to this process',
      registers,
    });
    new Gauge({
      name: 'dyad_signaling_rooms',
      help: 'Rooms with at least one peer',
      registers,
      async collect() {
        this.set(await backend.roomCount());
      },
    });
    this.#received = new Counter({
      name: 'dyad_signaling_messages_received_total',
      help: 'Frames received from peers, by command',
      labelNames: ['command'],
      registers,
    });
    this.#relayed = new Counter({
      name: 'dyad_signaling_messages_relayed_total',
      help: 'Messages relayed to a partner, by command',
      labelNames: ['command'],
      registers,
    });
    this.#errors = new Counter({
      name: 'dyad_signaling_errors_total',
      help: 'Errors sent to peers, by definition',
      labelNames: ['definition'],
      registers,
    });
    this.#relayLatency = new Histogram({
      name: 'dyad_signaling_relay_latency_seconds',
      help: 'From receiving a message to handing it to the partner',
      labelNames: ['command'],
      buckets: [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1],
      registers,
    });
  }

  received(command: string): void {
    this.#received.labels(command).inc();
  }

  relayed(command: string, latencyMs: number): void {
    let children = this.#relayedByCommand.get(command);
    if (!children) {
      children = {
        count: this.#relayed.labels(command) as unknown as Counter,
        latency: this.#relayLatency.labels(command) as unknown as Histogram,
      };
      this.#relayedByCommand.set(command, children);
    }
    children.count.inc();
    children.latency.observe(latencyMs / 1000);
  }

  error(definition: string): void {
    this.#errors.labels(definition).inc();
  }
}
