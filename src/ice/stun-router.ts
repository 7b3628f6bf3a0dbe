/**
 * Routes STUN responses arriving on the agent's sockets to the client transactions that sent the requests.
 * Transactions are grouped per (socket, remote address): RFC 8445 §7.2.5.2.1 requires a check's response
 * to come from where the request went, so a response from anywhere else finds no transaction.
 */
import {
  type DecodedStunMessage,
  StunClientTransactions,
  type StunRetransmitOptions,
} from '../stun/index.ts';
import type { Clock } from '../util/index.ts';
import { addressKey } from './candidate.ts';
import type { IceEndpoint, IceSocket } from './transport.ts';

/** Connectivity checks, consent checks, and Binding requests to STUN servers while gathering. */
export type TransactionKind = 'check' | 'consent' | 'server';

interface Entry {
  readonly kind: TransactionKind;
  readonly transactions: StunClientTransactions;
}

export class StunRouter {
  readonly #entries = new Map<string, Entry[]>();
  readonly #socketIds = new Map<IceSocket, number>();

  constructor(readonly clock: Clock) {}

  #key(socket: IceSocket, remote: IceEndpoint): string {
    let id = this.#socketIds.get(socket);
    if (id === undefined) {
      id = this.#socketIds.size;
      this.#socketIds.set(socket, id);
    }
    return `${id}>${addressKey(remote.address, remote.port)}`;
  }

  /** The transactions of one kind from `socket` to `remote`, created with `options` on first use. */
  transactions(
    socket: IceSocket,
    remote: IceEndpoint,
    kind: TransactionKind,
    options: StunRetransmitOptions,
  ): StunClientTransactions {
    const key = this.#key(socket, remote);
    const entries = this.#entries.get(key) ?? [];
    let entry = entries.find((e) => e.kind === kind);
    if (!entry) {
      entry = {
        kind,
        transactions: new StunClientTransactions({
          ...options,
          clock: this.clock,
          send: (packet) => socket.send(packet, remote.address, remote.port),
        }),
      };
      entries.push(entry);
      this.#entries.set(key, entries);
    }
    return entry.transactions;
  }

  /**
   * Offers a response; `authentic` decides, per kind, whether it may complete a transaction (checks are
   * signed with the peer's password, RFC 8489 §9.1.4). Returns the kind it completed, if any.
   */
  deliver(
    socket: IceSocket,
    from: IceEndpoint,
    response: DecodedStunMessage,
    authentic: (kind: TransactionKind) => boolean,
  ): TransactionKind | 'unauthenticated' | undefined {
    const entries = this.#entries.get(this.#key(socket, from));
    if (!entries) return undefined;
    let rejected = false;
    for (const entry of entries) {
      if (entry.transactions.pendingCount === 0) continue;
      if (!authentic(entry.kind)) {
        rejected = true;
        continue;
      }
      if (entry.transactions.handleResponse(response)) return entry.kind;
    }
    return rejected ? 'unauthenticated' : undefined;
  }

  /** Abandons the transactions of one kind from `socket` to `remote` (their promises reject as below). */
  abandon(socket: IceSocket, remote: IceEndpoint, kind: TransactionKind): void {
    const key = this.#key(socket, remote);
    const entries = this.#entries.get(key) ?? [];
    const kept = entries.filter((entry) => {
      if (entry.kind !== kind) return true;
      entry.transactions.close();
      return false;
    });
    if (kept.length > 0) this.#entries.set(key, kept);
    else this.#entries.delete(key);
  }

  /** Abandons the transactions of the given kinds (their promises reject with StunTransactionClosedError). */
  close(kinds: readonly TransactionKind[] = ['check', 'consent', 'server']): void {
    for (const [key, entries] of this.#entries) {
      const kept = entries.filter((entry) => {
        if (!kinds.includes(entry.kind)) return true;
        entry.transactions.close();
        return false;
      });
      if (kept.length > 0) this.#entries.set(key, kept);
      else this.#entries.delete(key);
    }
  }
}
