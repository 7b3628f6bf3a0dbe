import { VirtualClock } from '../util/index.ts';
import { SctpAssociation } from './association.ts';
import { LossyLink, type LossyLinkOptions } from './lossy-link.ts';
import type { SctpAssociationOptions } from './options.ts';

export interface ReceivedMessage {
  streamId: number;
  ppid: number;
  data: Uint8Array;
  unordered: boolean;
}

/**
 * Two associations over a LossyLink in virtual time, for tests of this layer and the ones above it.
 * Both sides call connect(), as WebRTC peers do, so every test also crosses the INIT collision.
 */
export class AssociationPair {
  readonly clock = new VirtualClock();
  readonly link: LossyLink;
  readonly a: SctpAssociation;
  readonly b: SctpAssociation;
  readonly receivedByA: ReceivedMessage[] = [];
  readonly receivedByB: ReceivedMessage[] = [];

  constructor(
    link: Omit<LossyLinkOptions, 'clock'> = {},
    options: Partial<SctpAssociationOptions> = {},
    optionsB: Partial<SctpAssociationOptions> = options,
  ) {
    this.link = new LossyLink({ ...link, clock: this.clock });
    this.a = new SctpAssociation({ ...options, transport: this.link.a, clock: this.clock });
    this.b = new SctpAssociation({ ...optionsB, transport: this.link.b, clock: this.clock });
    this.link.attach(
      (packet) => this.a.receive(packet),
      (packet) => this.b.receive(packet),
    );
    this.a.handlers.onMessage = (streamId, ppid, data, unordered) =>
      this.receivedByA.push({ streamId, ppid, data: data.slice(), unordered });
    this.b.handlers.onMessage = (streamId, ppid, data, unordered) =>
      this.receivedByB.push({ streamId, ppid, data: data.slice(), unordered });
  }

  /** Connects both sides and runs virtual time until both are established. */
  async connect(limitMs = 60_000): Promise<void> {
    this.a.connect();
    this.b.connect();
    await this.runUntil(() => this.a.state === 'established' && this.b.state === 'established', limitMs);
  }

  /**
   * Advances virtual time in small steps, letting microtasks (coalesced flushes) run between them,
   * until `done` holds. Throws when `limitMs` of virtual time passes first.
   */
  async runUntil(done: () => boolean, limitMs = 600_000, stepMs = 1): Promise<void> {
    const deadline = this.clock.now() + limitMs;
    for (;;) {
      await settle();
      if (done()) return;
      if (this.clock.now() >= deadline)
        throw new Error(`condition not reached within ${limitMs} ms of virtual time`);
      this.clock.advance(stepMs);
    }
  }
}

/** Lets queued microtasks run (flushes are scheduled with queueMicrotask), and pending I/O such as Blob reads. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}
