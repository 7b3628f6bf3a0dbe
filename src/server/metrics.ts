import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RoomBackend, SignalingObserver } from '../signaling/index.ts';

/**
 * Counts kept in plain maps on the hot path (one per frame) and copied into prom-client only when
 * /metrics is scraped: labelled prom-client updates hash their labels on every call.
 */
class CountsByLabel {
  readonly #counts = new Map<string, number>();

  add(label: string): void {
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + 1);
  }

  copyInto(counter: Counter): void {
    counter.reset();
    for (const [label, count] of this.#counts) counter.labels(label).inc(count);
  }
}

/** Prometheus metrics of one server, on its own registry (several servers may share a process in tests). */
export class ServerMetrics implements SignalingObserver {
  readonly registry = new Registry();
  readonly peersConnected: Gauge;
  readonly #received = new CountsByLabel();
  readonly #relayed = new CountsByLabel();
  readonly #errors = new CountsByLabel();
  readonly #inputErrors = new CountsByLabel();
  readonly #refusedSockets = new CountsByLabel();
  readonly #relayLatency: Histogram;

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
    const countsCounter = (name: string, help: string, labelName: string, counts: CountsByLabel) =>
      new Counter({
        name,
        help,
        labelNames: [labelName],
        registers,
        collect() {
          counts.copyInto(this);
        },
      });
    countsCounter(
      'dyad_signaling_messages_received_total',
      'Frames received from peers, by command',
      'command',
      this.#received,
    );
    countsCounter(
      'dyad_signaling_messages_relayed_total',
      'Messages relayed to a partner, by command',
      'command',
      this.#relayed,
    );
    countsCounter(
      'dyad_signaling_errors_total',
      'Errors sent to peers, by definition',
      'definition',
      this.#errors,
    );
    countsCounter(
      'dyad_signaling_input_errors_total',
      'Frames that could not be handled, by kind (invalid_json: not JSON; handler: handling threw, socket closed 1011)',
      'kind',
      this.#inputErrors,
    );
    countsCounter(
      'dyad_signaling_sockets_refused_total',
      'WebSocket upgrades refused, by reason (address_limit: too many sockets from one client address)',
      'reason',
      this.#refusedSockets,
    );
    this.#relayLatency = new Histogram({
      name: 'dyad_signaling_relay_latency_seconds',
      help: 'From receiving a message to handing it to the partner',
      buckets: [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1],
      registers,
    });
  }

  received(command: string): void {
    this.#received.add(command);
  }

  relayed(command: string, latencyMs: number): void {
    this.#relayed.add(command);
    this.#relayLatency.observe(latencyMs / 1000);
  }

  error(definition: string): void {
    this.#errors.add(definition);
  }

  inputError(kind: string): void {
    this.#inputErrors.add(kind);
  }

  socketRefused(reason: string): void {
    this.#refusedSockets.add(reason);
  }
}
