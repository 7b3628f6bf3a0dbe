import type { LossyLinkOptions, SctpAssociationOptions } from '../sctp/index.ts';
import { AssociationPair } from '../sctp/index.ts';
import type { RTCDataChannel } from './channel.ts';
import { DataChannelTransport } from './transport.ts';

type DtlsRole = 'client' | 'server';

/**
 * Two data channel transports over an AssociationPair (a is the DTLS client, b the server, unless `roles`
 * says otherwise; a role left undefined is not known yet and is set later through `dtlsRole`).
 */
export class ChannelPair {
  readonly sctp: AssociationPair;
  readonly a: DataChannelTransport;
  readonly b: DataChannelTransport;
  readonly openedOnA: RTCDataChannel[] = [];
  readonly openedOnB: RTCDataChannel[] = [];

  constructor(
    link: Omit<LossyLinkOptions, 'clock'> = {},
    options: Partial<SctpAssociationOptions> = {},
    roles: { a?: DtlsRole; b?: DtlsRole } = { a: 'client', b: 'server' },
  ) {
    this.sctp = new AssociationPair(link, options);
    this.a = new DataChannelTransport({ association: this.sctp.a, ...(roles.a && { dtlsRole: roles.a }) });
    this.b = new DataChannelTransport({ association: this.sctp.b, ...(roles.b && { dtlsRole: roles.b }) });
    this.a.onDataChannel = (channel) => this.openedOnA.push(channel);
    this.b.onDataChannel = (channel) => this.openedOnB.push(channel);
  }

  connect(): Promise<void> {
    return this.sctp.connect();
  }

  runUntil(done: () => boolean, limitMs = 60_000, stepMs = 1): Promise<void> {
    return this.sctp.runUntil(done, limitMs, stepMs);
  }
}
