/**
 * A deterministic in-memory datagram link between two DTLS connections, in the spirit of
 * pion/transport's test bridge: datagrams are queued and delivered on the virtual clock, and a test can
 * drop chosen datagrams (by a predicate) to simulate loss of a whole flight.
 */
import { DtlsConnection, type DtlsConnectionOptions } from '../../src/dtls/index.ts';
import { VirtualClock } from '../../src/util/index.ts';

export interface SentDatagram {
  from: 'client' | 'server';
  at: number;
  bytes: Uint8Array;
  dropped: boolean;
}

export type DropRule = (datagram: SentDatagram) => boolean;

export interface LinkedPair {
  clock: VirtualClock;
  client: DtlsConnection;
  server: DtlsConnection;
  log: SentDatagram[];
  drop: (rule: DropRule) => void;
}

type Side = Omit<DtlsConnectionOptions, 'role' | 'transport' | 'clock'>;

/** Two connections that trust each other's certificate, joined by a link with `latencyMs` one way. */
export function linkedPair(client: Side = {}, server: Side = {}, latencyMs = 5): LinkedPair {
  const clock = new VirtualClock();
  const log: SentDatagram[] = [];
  const rules: DropRule[] = [];
  const connections: { client?: DtlsConnection; server?: DtlsConnection } = {};
  const transport = (from: 'client' | 'server') => ({
    send(bytes: Uint8Array) {
      const datagram = { from, at: clock.now(), bytes: bytes.slice(), dropped: false };
      datagram.dropped = rules.some((rule) => rule(datagram));
      log.push(datagram);
      if (datagram.dropped) return;
      const to = from === 'client' ? 'server' : 'client';
      clock.setTimeout(() => connections[to]!.handleDatagram(datagram.bytes), latencyMs);
    },
  });
  const clientConnection = new DtlsConnection({
    role: 'client',
    transport: transport('client'),
    clock,
    ...client,
  });
  const serverConnection = new DtlsConnection({
    role: 'server',
    transport: transport('server'),
    clock,
    ...server,
  });
  if (!client.remoteFingerprints)
    clientConnection.setRemoteFingerprints([serverConnection.localCertificate.fingerprint]);
  if (!server.remoteFingerprints)
    serverConnection.setRemoteFingerprints([clientConnection.localCertificate.fingerprint]);
  connections.client = clientConnection;
  connections.server = serverConnection;
  return { clock, client: clientConnection, server: serverConnection, log, drop: (rule) => rules.push(rule) };
}
