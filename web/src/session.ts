/**
 * Keeps a page in its room: joins through the client SDK and, while the signaling server cannot be reached
 * before the first join, tries again with the SDK's backoff (after a join, the SDK reconnects by itself).
 */
import {
  type CallErrorEvent,
  DyadCall,
  defaultReconnectPolicy,
  type JoinOptions,
  reconnectDelayMs,
} from '../../src/client/index.ts';
import { signalingUrl } from './ui.ts';

export type SessionProblem =
  | { kind: 'unreachable'; retryInMs: number }
  | { kind: 'refused'; definition: string };

/** Join errors that retrying cannot fix. */
const finalRefusals = new Set(['room_full', 'unauthorized', 'invalidStreamName', 'noStreamNameSpecified']);

export class RoomSession {
  readonly room: string;
  call: DyadCall | undefined;
  #stopped = false;

  constructor(room: string) {
    this.room = room;
  }

  /**
   * Creates a DyadCall (handing it to `wire` for the page's listeners before it connects) until one joins,
   * or the server refuses for good. Resolves with the joined call, or with the problem that ended the tries.
   */
  async join(
    options: JoinOptions,
    wire: (call: DyadCall) => void,
    onProblem: (problem: SessionProblem) => void,
  ): Promise<DyadCall | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (this.#stopped) return undefined;
      const call = new DyadCall(signalingUrl(), this.room, options);
      this.call = call;
      let refusal: string | undefined;
      call.addEventListener('error', (event: CallErrorEvent) => {
        console.warn(`[dyad] ${event.definition}`, event.cause ?? '');
        refusal ??= finalRefusals.has(event.definition) ? event.definition : undefined;
      });
      wire(call);
      try {
        await call.join();
        return call;
      } catch {
        if (this.#stopped) return undefined;
        if (refusal) {
          onProblem({ kind: 'refused', definition: refusal });
          return undefined;
        }
        const retryInMs = reconnectDelayMs(attempt, defaultReconnectPolicy, Math.random());
        onProblem({ kind: 'unreachable', retryInMs });
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  /** Leaves the room for good. */
  leave(): void {
    this.#stopped = true;
    this.call?.leave();
    this.call = undefined;
  }
}
