/**
 * Relayed candidates (RFC 8445 §5.1.1.2, RFC 8656): a TURN allocation seen by the agent as one more socket.
 * Sending to a peer first binds a channel to it (RFC 8656 §11, which also installs the permission of
 * §9), holding the few datagrams sent meanwhile; datagrams from peers come back through the client.
 */
import type { TurnAllocation, TurnClient } from '../turn/index.ts';
import { addressFamily, type IceDatagramHandler, type IceSocket } from './transport.ts';

/** Datagrams held per peer while its channel is being bound (checks are retransmitted anyway). */
const maxQueuedPerPeer = 16;

type PeerState = { ready: boolean; queue: Uint8Array[] };

export class TurnRelaySocket implements IceSocket {
  readonly address: string;
  readonly port: number;
  readonly #client: TurnClient;
  readonly #peers = new Map<string, PeerState>();
  #closed = false;

  constructor(client: TurnClient, allocation: TurnAllocation) {
    this.#client = client;
    this.address = allocation.relayed.address;
    this.port = allocation.relayed.port;
  }

  send(data: Uint8Array, address: string, port: number): void {
    if (this.#closed) return;
    const peer = { family: addressFamily(address), address, port };
    const key = `${address}|${port}`;
    const state = this.#peers.get(key);
    if (state?.ready) {
      this.#client.send(peer, data);
      return;
    }
    if (state) {
      if (state.queue.length < maxQueuedPerPeer) state.queue.push(data.slice());
      return;
    }
    const pending: PeerState = { ready: false, queue: [data.slice()] };
    this.#peers.set(key, pending);
    this.#client
      .bindChannel(peer)
      .then(() => {
        pending.ready = true;
        for (const queued of pending.queue.splice(0)) this.#client.send(peer, queued);
      })
      // Refused (e.g. 403 for a forbidden peer), timed out, or the client failed sending what was held:
      // forget it, so a later send tries again (and no rejection is left unhandled).
      .catch(() => this.#peers.delete(key));
  }

  onMessage(handler: IceDatagramHandler): void {
    this.#client.onData = (data, peer) => handler(data, { address: peer.address, port: peer.port });
  }

  /** Deletes the allocation (RFC 8656 §8: a Refresh with lifetime 0). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#client.close();
  }
}
