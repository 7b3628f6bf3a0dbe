import { type SctpAssociation, SctpAssociationError, type SendOptions } from '../sctp/index.ts';
import { TruncatedInputError } from '../util/index.ts';
import {
  type ChannelBackend,
  type ChannelCounters,
  internals,
  RTCDataChannel,
  type RTCDataChannelInit,
  type RTCPriorityType,
} from './channel.ts';
import {
  DcepDecodeError,
  DcepMessageType,
  type DcepOpen,
  decodeDcep,
  encodeDcepAck,
  encodeDcepOpen,
  Ppid,
} from './dcep.ts';
import { RTCError } from './errors.ts';

export interface DataChannelTransportOptions {
  association: SctpAssociation;
  /**
   * RFC 8832 §6: the DTLS client opens channels on even stream ids, the server on odd ones. Absent until
   * negotiation settles it (then set `dtlsRole`): in-band channels created before have no id.
   */
  dtlsRole?: 'client' | 'server';
}

/** W3C WebRTC §6.1: an id is an unsigned short below 65535. */
const MAX_CHANNEL_ID = 65534;

// webrtc-priority §4.2: the DCEP priority values of each RTCPriorityType.
const PRIORITY_VALUES: Record<RTCPriorityType, number> = {
  'very-low': 128,
  low: 256,
  medium: 512,
  high: 1024,
};

function priorityFromValue(value: number): RTCPriorityType {
  if (value <= 128) return 'very-low';
  if (value <= 256) return 'low';
  if (value <= 512) return 'medium';
  return 'high';
}

const encoder = new TextEncoder();

/**
 * Data channels (RFC 8831) over one SCTP association: DCEP (RFC 8832) for in-band channels, stream ids
 * by DTLS role, the reset of both stream directions to close a channel, and message routing.
 */
export class DataChannelTransport {
  /** A channel the peer opened in-band (the W3C `datachannel` event). */
  onDataChannel: ((channel: RTCDataChannel) => void) | undefined;
  onOpen: (() => void) | undefined;
  onClose: ((error?: SctpAssociationError) => void) | undefined;
  readonly #association: SctpAssociation;
  #dtlsRole: 'client' | 'server' | undefined;
  readonly #channels = new Map<number, RTCDataChannel>();
  /** In-band channels created before the DTLS role was known, waiting for an id. */
  #waitingForId: RTCDataChannel[] = [];
  /** In-band channels with an id whose DATA_CHANNEL_OPEN waits for the association. */
  #unopened: RTCDataChannel[] = [];
  /** Stream directions already reset for channels being closed (RFC 8831 §6.7). */
  readonly #resets = new Map<number, { outgoing: 'no' | 'requested' | 'done'; incoming: boolean }>();
  #open = false;
  #ended = false;
  readonly #backend: ChannelBackend;

  constructor(options: DataChannelTransportOptions) {
    this.#association = options.association;
    this.#dtlsRole = options.dtlsRole;
    const association = this.#association;
    this.#backend = {
      send: (channel, ppid, data) => this.#send(channel, ppid, data),
      bufferedAmount: (id) => association.bufferedAmount(id),
      maxMessageSize: () => association.maxMessageSize,
      maxReceivedMessageSize: () => association.maxReceivedMessageSize,
      close: (channel) => this.#closeChannel(channel),
      holdReceived: (bytes) => association.holdReceived(bytes),
      releaseReceived: (bytes) => association.releaseReceived(bytes),
    };
    association.handlers = {
      onOpen: () => this.#associationOpened(),
      onMessage: (streamId, ppid, data) => this.#receive(streamId, ppid, data),
      onBufferedAmount: (streamId, amount) =>
        this.#channels.get(streamId)?.[internals].bufferedAmountChanged(amount),
      onStreamsReset: (streamIds, direction, succeeded) =>
        this.#streamsReset(streamIds, direction, succeeded),
      onClose: (error) => this.#associationClosed(error),
    };
    if (association.state === 'established') this.#associationOpened();
  }

  /**
   * The DTLS role sets the parity of the ids this side picks (RFC 8832 §6). W3C §4.4.1.6 (set the
   * description, once it negotiates the DTLS role): every in-band channel without an id gets one now, and
   * later ones get theirs in createDataChannel. Before the association opens the role may still change
   * (a new negotiation after a rollback); the ids not yet announced by DATA_CHANNEL_OPEN follow it.
   */
  set dtlsRole(role: 'client' | 'server') {
    if (this.#open && role !== this.#dtlsRole) {
      throw new DOMException('the DTLS role is fixed once the association is open', 'InvalidStateError');
    }
    if (role === this.#dtlsRole) return;
    this.#dtlsRole = role;
    if (this.#open || this.#ended) return;
    const renumbered = [...this.#unopened, ...this.#waitingForId];
    for (const channel of this.#unopened) this.#channels.delete(channel.id!);
    this.#unopened = [];
    this.#waitingForId = [];
    for (const channel of renumbered) {
      const id = this.#allocateId();
      if (id === undefined) {
        // W3C §4.4.1.6: a channel that cannot get an id is closed with an error.
        this.#failChannel(channel, 'no free stream id');
        continue;
      }
      channel[internals].setId(id);
      this.#channels.set(id, channel);
      this.#unopened.push(channel);
    }
  }

  get dtlsRole(): 'client' | 'server' | undefined {
    return this.#dtlsRole;
  }

  /** The largest message the peer accepts (its max-message-size). */
  get maxMessageSize(): number {
    return this.#association.maxMessageSize;
  }

  get channels(): RTCDataChannel[] {
    return [...this.#channels.values(), ...this.#waitingForId];
  }

  /** The messages and bytes a channel of this transport sent and received, for getStats. */
  counters(channel: RTCDataChannel): Readonly<ChannelCounters> {
    return channel[internals].counters;
  }

  /** W3C WebRTC §6.1 createDataChannel, with its argument checks. */
  createDataChannel(label: string, init: RTCDataChannelInit = {}): RTCDataChannel {
    if (this.#ended) throw new DOMException('the SCTP transport is closed', 'InvalidStateError');
    if (encoder.encode(label).length > 0xffff) throw new TypeError('label longer than 65535 bytes');
    if (encoder.encode(init.protocol ?? '').length > 0xffff)
      throw new TypeError('protocol longer than 65535 bytes');
    if (init.maxPacketLifeTime != null && init.maxRetransmits != null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits are mutually exclusive');
    }
    const negotiated = init.negotiated ?? false;
    if (negotiated && init.id == null) throw new TypeError('a negotiated channel needs an id');
    if (init.id != null && (!Number.isInteger(init.id) || init.id < 0 || init.id > MAX_CHANNEL_ID)) {
      throw new TypeError(`channel id ${init.id} is not between 0 and ${MAX_CHANNEL_ID}`);
    }
    const clamp = (value: number | undefined) =>
      value == null ? undefined : Math.min(0xffff, Math.max(0, Math.trunc(value)));
    const settings: RTCDataChannelInit = {
      ordered: init.ordered ?? true,
      maxPacketLifeTime: clamp(init.maxPacketLifeTime),
      maxRetransmits: clamp(init.maxRetransmits),
      protocol: init.protocol ?? '',
      negotiated,
      priority: init.priority ?? 'low',
      id: negotiated ? init.id : undefined,
    };
    if (negotiated && this.#channels.has(init.id!)) {
      throw new DOMException(`channel id ${init.id} is already in use`, 'OperationError');
    }
    const channel = new RTCDataChannel(label, settings, this.#backend);
    if (negotiated) {
      this.#channels.set(init.id!, channel);
      if (this.#open) queueMicrotask(() => channel[internals].announceOpen());
    } else if (this.#dtlsRole === undefined) {
      this.#waitingForId.push(channel);
    } else {
      // W3C §6.1 createDataChannel: with the DTLS role known, the id is assigned at once.
      const id = this.#allocateId();
      if (id === undefined) throw new DOMException('no free stream id', 'OperationError');
      channel[internals].setId(id);
      this.#channels.set(id, channel);
      if (this.#open) this.#openInBand(channel);
      else this.#unopened.push(channel);
    }
    return channel;
  }

  /** Closes every channel and the association (SHUTDOWN), as RTCPeerConnection.close() does. */
  close(): void {
    if (this.#ended) return;
    this.#association.shutdown();
    this.#associationClosed();
  }

  #associationOpened(): void {
    if (this.#open || this.#ended) return;
    this.#open = true;
    const streams = this.#streamLimit();
    const unopened = new Set(this.#unopened);
    this.#unopened = [];
    for (const [id, channel] of this.#channels) {
      if (id < streams) {
        if (unopened.has(channel)) this.#openInBand(channel);
        else channel[internals].announceOpen();
        continue;
      }
      // W3C §6.1: an id the association cannot carry fails the channel.
      this.#channels.delete(id);
      this.#failChannel(channel, `stream ${id} exceeds the ${streams} negotiated streams`);
    }
    // Channels still without an id (a transport opened without a DTLS role) take one now.
    this.#dtlsRole ??= 'client';
    const waiting = this.#waitingForId;
    this.#waitingForId = [];
    for (const channel of waiting) {
      const id = this.#allocateId();
      if (id === undefined) {
        this.#failChannel(channel, 'no free stream id');
        continue;
      }
      channel[internals].setId(id);
      this.#channels.set(id, channel);
      this.#openInBand(channel);
    }
    this.onOpen?.();
  }

  #failChannel(channel: RTCDataChannel, reason: string): void {
    channel[internals].closed(new RTCError({ errorDetail: 'data-channel-failure' }, reason));
  }

  /** RFC 8832 §6: send DATA_CHANNEL_OPEN on the channel's stream, and the channel is open. */
  #openInBand(channel: RTCDataChannel): void {
    const id = channel.id!;
    const open: Omit<DcepOpen, 'type'> = {
      ordered: channel.ordered,
      priority: PRIORITY_VALUES[channel.priority],
      label: channel.label,
      protocol: channel.protocol,
    };
    if (channel.maxRetransmits !== null) open.maxRetransmits = channel.maxRetransmits;
    if (channel.maxPacketLifeTime !== null) open.maxPacketLifeTime = channel.maxPacketLifeTime;
    this.#association.send(id, Ppid.DCEP, encodeDcepOpen(open), {}, false);
    queueMicrotask(() => channel[internals].announceOpen());
  }

  /** Stream ids usable in both directions (RFC 8831 §6.5: a channel uses one id both ways). */
  #streamLimit(): number {
    const negotiated = this.#association.negotiated;
    const streams = negotiated ? Math.min(negotiated.outboundStreams, negotiated.inboundStreams) : 65535;
    return Math.min(MAX_CHANNEL_ID + 1, streams);
  }

  #allocateId(): number | undefined {
    const limit = this.#streamLimit();
    for (let id = this.#dtlsRole === 'client' ? 0 : 1; id < limit; id += 2) {
      if (!this.#channels.has(id) && !this.#resets.has(id)) return id;
    }
    return undefined;
  }

  #send(channel: RTCDataChannel, ppid: number, data: Uint8Array): void {
    const id = channel.id;
    if (id === null) throw new DOMException('the channel has no id yet', 'InvalidStateError');
    const options: SendOptions = {
      // RFC 8832 §6: until the DATA_CHANNEL_ACK arrives, messages go ordered behind the OPEN.
      unordered: !channel.ordered && channel[internals].acknowledged,
    };
    if (channel.maxRetransmits !== null) options.maxRetransmits = channel.maxRetransmits;
    if (channel.maxPacketLifeTime !== null) options.maxPacketLifeTimeMs = channel.maxPacketLifeTime;
    const counted = ppid !== Ppid.STRING_EMPTY && ppid !== Ppid.BINARY_EMPTY;
    try {
      this.#association.send(id, ppid, data, options, counted);
    } catch (error) {
      if (error instanceof SctpAssociationError) throw new DOMException(error.message, 'InvalidStateError');
      throw error;
    }
  }

  #receive(streamId: number, ppid: number, data: Uint8Array): void {
    if (ppid !== Ppid.DCEP) {
      this.#channels.get(streamId)?.[internals].deliver(ppid, data);
      return;
    }
    let message: ReturnType<typeof decodeDcep>;
    try {
      message = decodeDcep(data);
    } catch (error) {
      // RFC 8832 §6: a malformed DCEP message is ignored.
      if (error instanceof DcepDecodeError || error instanceof TruncatedInputError) return;
      throw error;
    }
    if (message.type === DcepMessageType.ACK) {
      const channel = this.#channels.get(streamId);
      if (channel) channel[internals].acknowledged = true;
      return;
    }
    this.#acceptInBand(streamId, message);
  }

  /** RFC 8832 §6: the peer opened a channel; answer with DATA_CHANNEL_ACK and announce it. */
  #acceptInBand(streamId: number, open: DcepOpen): void {
    if (this.#channels.has(streamId) || this.#resets.has(streamId)) return;
    // RFC 8831 §6.5: a channel uses its stream id both ways. A peer that announced fewer inbound streams
    // than it sends on can open one we could never answer on (before, the ACK's send threw out of the
    // packet's processing); so can one that opens after starting to shut down. Neither gets a channel.
    if (streamId >= this.#streamLimit() || this.#association.state !== 'established') return;
    const init: RTCDataChannelInit = {
      ordered: open.ordered,
      protocol: open.protocol,
      negotiated: false,
      id: streamId,
      priority: priorityFromValue(open.priority),
    };
    if (open.maxRetransmits !== undefined) init.maxRetransmits = open.maxRetransmits;
    if (open.maxPacketLifeTime !== undefined) init.maxPacketLifeTime = open.maxPacketLifeTime;
    const channel = new RTCDataChannel(open.label, init, this.#backend);
    channel[internals].acknowledged = true;
    this.#channels.set(streamId, channel);
    this.#association.send(streamId, Ppid.DCEP, encodeDcepAck(), {}, false);
    // W3C §6.2 "announce the channel as open": readyState is open inside the datachannel event, and
    // the open event follows it.
    channel[internals].markOpen();
    this.onDataChannel?.(channel);
    if (channel.readyState === 'open') channel.dispatchEvent(new Event('open'));
  }

  #closeChannel(channel: RTCDataChannel): void {
    const id = channel.id;
    if (id === null || !this.#open || this.#ended) {
      // Not announced to the peer yet: nothing to reset, the id is free again.
      this.#waitingForId = this.#waitingForId.filter((waiting) => waiting !== channel);
      this.#unopened = this.#unopened.filter((waiting) => waiting !== channel);
      if (id !== null && this.#channels.get(id) === channel) this.#channels.delete(id);
      queueMicrotask(() => channel[internals].closed());
      return;
    }
    const reset = this.#resetState(id);
    if (reset.outgoing === 'no') {
      reset.outgoing = 'requested';
      this.#association.resetStreams([id]);
    }
  }

  #resetState(id: number): { outgoing: 'no' | 'requested' | 'done'; incoming: boolean } {
    let reset = this.#resets.get(id);
    if (!reset) {
      reset = { outgoing: 'no', incoming: false };
      this.#resets.set(id, reset);
    }
    return reset;
  }

  /** RFC 8831 §6.7: a channel is closed once both directions of its stream are reset. */
  #streamsReset(streamIds: number[], direction: 'incoming' | 'outgoing', succeeded: boolean): void {
    for (const id of streamIds) {
      const reset = this.#resetState(id);
      const channel = this.#channels.get(id);
      if (direction === 'outgoing') {
        reset.outgoing = 'done';
        // Without RE-CONFIG support the peer cannot learn of the close; the channel ends here anyway.
        if (!succeeded) reset.incoming = true;
      } else {
        reset.incoming = true;
        channel?.[internals].remoteClosing();
        if (reset.outgoing === 'no') {
          reset.outgoing = 'requested';
          this.#association.resetStreams([id]);
        }
      }
      if (reset.outgoing === 'done' && reset.incoming) {
        this.#resets.delete(id);
        this.#channels.delete(id);
        channel?.[internals].closed();
      }
    }
  }

  #associationClosed(error?: SctpAssociationError): void {
    if (this.#ended) return;
    this.#ended = true;
    const rtcError = error
      ? new RTCError(
          error.causeCode === undefined
            ? { errorDetail: 'sctp-failure' }
            : { errorDetail: 'sctp-failure', sctpCauseCode: error.causeCode },
          error.message,
        )
      : undefined;
    const channels = this.channels;
    this.#channels.clear();
    this.#waitingForId = [];
    this.#unopened = [];
    for (const channel of channels) channel[internals].closed(rtcError);
    this.onClose?.(error);
  }
}
