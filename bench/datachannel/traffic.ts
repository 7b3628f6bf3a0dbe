/**
 * Traffic over one connected pair: a sender that keeps about HIGH_WATER bytes queued, topping up on
 * `bufferedamountlow` (the W3C backpressure an application uses), and a receiver that counts what arrives.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectedPair } from './connect.ts';

const POLL_MS = 1;

/** About 1 MiB queued in the channel at any time. */
export const HIGH_WATER = 1 << 20;
/** bufferedamountlow fires when the queue drains to half, leaving time to refill before it runs dry. */
export const LOW_WATER = HIGH_WATER / 2;

export interface TrafficResult {
  messagesSent: number;
  messagesReceived: number;
  bytesReceived: number;
  /** performance.now() of the first send() and of the message that completed the run. */
  firstSendAt: number;
  lastReceiveAt: number;
  /** Refills the sender scheduled itself because the queue never rose above LOW_WATER (no event can come). */
  refillsWithoutEvent: number;
  bufferedAmountLowEvents: number;
}

export interface TrafficPlan {
  messageSize: number;
  /**
   * False for a stack without bufferedamountlow (@roamhq/wrtc has neither the event nor the threshold): the
   * sender then polls bufferedAmount every POLL_MS instead, the fallback an application would use.
   */
  lowEvent: boolean;
  /** Send while this returns true (a message count or a deadline). */
  more(sent: number): boolean;
}

/** The progress so far, for a timeout's message: where a stalled run stopped. */
export interface TrafficProgress {
  sent: number;
  received: number;
  bufferedAmount: number;
}

/**
 * Runs `plan` over `pair` (offerer → answerer) and resolves once every message sent has arrived.
 * `progress` is updated as it goes so a caller that gives up can say where it stopped.
 */
export function runTraffic(
  pair: ConnectedPair,
  plan: TrafficPlan,
  progress: TrafficProgress,
): Promise<TrafficResult> {
  const { local, remote } = pair;
  const payload = Buffer.alloc(plan.messageSize, 0xa5);
  return new Promise<TrafficResult>((resolve, reject) => {
    const result: TrafficResult = {
      messagesSent: 0,
      messagesReceived: 0,
      bytesReceived: 0,
      firstSendAt: 0,
      lastReceiveAt: 0,
      refillsWithoutEvent: 0,
      bufferedAmountLowEvents: 0,
    };
    let sending = true;
    const finishIfDone = () => {
      if (sending || result.messagesReceived < result.messagesSent) return;
      local.removeEventListener('bufferedamountlow', onLow);
      remote.removeEventListener('message', onMessage);
      if (result.bytesReceived !== result.messagesSent * plan.messageSize)
        reject(
          new Error(`received ${result.bytesReceived} bytes, sent ${result.messagesSent * plan.messageSize}`),
        );
      else resolve(result);
    };
    const onMessage = (event: unknown) => {
      result.messagesReceived++;
      result.bytesReceived += byteLength((event as { data: unknown }).data);
      result.lastReceiveAt = performance.now();
      progress.received = result.messagesReceived;
      finishIfDone();
    };
    const fill = () => {
      if (!sending) return;
      // One burst is bounded by HIGH_WATER bytes even when a stack's bufferedAmount lags behind (or stays
      // at 0 because a native thread drains it), so the receiving end in this same process gets its turns.
      let burst = 0;
      try {
        while (local.bufferedAmount < HIGH_WATER && burst < HIGH_WATER && plan.more(result.messagesSent)) {
          if (result.messagesSent === 0) result.firstSendAt = performance.now();
          local.send(payload);
          result.messagesSent++;
          burst += plan.messageSize;
        }
      } catch (error) {
        sending = false;
        reject(error);
        return;
      }
      progress.sent = result.messagesSent;
      progress.bufferedAmount = local.bufferedAmount;
      if (!plan.more(result.messagesSent)) {
        sending = false;
        finishIfDone();
      } else if (!plan.lowEvent) {
        setTimeout(fill, POLL_MS);
      } else if (local.bufferedAmount <= LOW_WATER) {
        // bufferedamountlow only fires on a fall to the threshold: from here it would never come.
        result.refillsWithoutEvent++;
        setImmediate(fill);
      }
    };
    const onLow = () => {
      result.bufferedAmountLowEvents++;
      fill();
    };
    local.bufferedAmountLowThreshold = LOW_WATER;
    local.addEventListener('bufferedamountlow', onLow);
    remote.addEventListener('message', onMessage);
    fill();
  });
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  // A Blob (libdatachannel's default binaryType) would mean binaryType was not applied.
  throw new Error(`unexpected message data: ${Object.prototype.toString.call(data)}`);
}

/** Sends `totalBytes` as `messageSize`-byte messages; MB/s from first send to last byte received. */
export async function throughput(
  pair: ConnectedPair,
  totalBytes: number,
  messageSize: number,
  lowEvent: boolean,
  progress: TrafficProgress,
) {
  const messages = Math.ceil(totalBytes / messageSize);
  const result = await runTraffic(pair, { messageSize, lowEvent, more: (sent) => sent < messages }, progress);
  const seconds = (result.lastReceiveAt - result.firstSendAt) / 1000;
  return { ...result, seconds, megabytesPerSecond: result.bytesReceived / 1e6 / seconds };
}

/** Sends `messageSize`-byte messages for `seconds`; messages/s received from first send to last arrival. */
export async function smallMessages(
  pair: ConnectedPair,
  seconds: number,
  messageSize: number,
  lowEvent: boolean,
  progress: TrafficProgress,
) {
  let deadline = 0;
  const result = await runTraffic(
    pair,
    {
      messageSize,
      lowEvent,
      more: () => {
        deadline ||= performance.now() + seconds * 1000;
        return performance.now() < deadline;
      },
    },
    progress,
  );
  const elapsed = (result.lastReceiveAt - result.firstSendAt) / 1000;
  return { ...result, seconds: elapsed, messagesPerSecond: result.messagesReceived / elapsed };
}
