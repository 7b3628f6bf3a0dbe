/**
 * The boundary around every handler of outside input: a datagram or stream chunk from a client, a datagram
 * from a peer on a relay socket. Decoders turn bad input into typed errors that the handlers answer; what
 * still escapes a handler is a bug, and one packet must not be able to stop the server for every user. The
 * listener catches it, drops the packet (UDP, relay) or closes the connection (TCP, TLS, whose framing can
 * no longer be trusted), counts it by transport and logs it at warn, without packet contents or secrets.
 */
import type { Clock } from '../util/index.ts';
import type { TurnCounters, TurnInputTransport } from './metrics.ts';
import type { TurnLogger } from './options.ts';

/** A flood of failing packets logs once per transport per interval, with how many it did not log. */
const LOG_INTERVAL_MS = 10_000;

export class InputErrorRecorder {
  readonly #counters: TurnCounters;
  readonly #logger: TurnLogger | undefined;
  readonly #clock: Clock;
  readonly #lastLog = new Map<TurnInputTransport, number>();
  readonly #unlogged = new Map<TurnInputTransport, number>();

  constructor(counters: TurnCounters, clock: Clock, logger?: TurnLogger) {
    this.#counters = counters;
    this.#clock = clock;
    this.#logger = logger;
  }

  /**
   * `source` is the sender's IP address. The error's name and the code location it came from are logged,
   * not its message, which may quote the input.
   */
  record(transport: TurnInputTransport, error: unknown, source: string): void {
    this.#counters.inputErrors[transport]++;
    const now = this.#clock.now();
    const last = this.#lastLog.get(transport);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) {
      this.#unlogged.set(transport, (this.#unlogged.get(transport) ?? 0) + 1);
      return;
    }
    this.#lastLog.set(transport, now);
    const unlogged = this.#unlogged.get(transport) ?? 0;
    this.#unlogged.delete(transport);
    const failure = error instanceof Error ? error : new Error('a non-Error value was thrown');
    this.#logger?.warn(
      {
        transport,
        source,
        error: failure.name,
        at: failure.stack?.split('\n')[1]?.trim(),
        unlogged,
      },
      transport === 'tcp' || transport === 'tls'
        ? 'TURN input handler failed; connection closed'
        : 'TURN input handler failed; packet dropped',
    );
  }
}
