import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../util/index.ts';
import {
  createStunMessage,
  decodeStunMessage,
  encodeStunMessage,
  retransmitSchedule,
  StunClientTransactions,
  StunMethod,
  StunTimeoutError,
  StunTransactionClosedError,
} from './index.ts';

test('RFC 8489 §6.2.1 schedule: RTO 500 ms doubling, Rc = 7, Rm = 16; TCP waits Ti = 39.5 s', () => {
  assert.deepEqual(retransmitSchedule(false), {
    sendAtMs: [0, 500, 1500, 3500, 7500, 15500, 31500],
    timeoutAtMs: 39500,
  });
  assert.deepEqual(retransmitSchedule(false, { rtoMs: 100, maxTransmissions: 3, lastWaitFactor: 4 }), {
    sendAtMs: [0, 100, 300],
    timeoutAtMs: 700,
  });
  assert.deepEqual(retransmitSchedule(true), { sendAtMs: [0], timeoutAtMs: 39500 });
});

function harness(reliable = false) {
  const clock = new VirtualClock();
  const sentAt: number[] = [];
  const transactions = new StunClientTransactions({ clock, reliable, send: () => sentAt.push(clock.now()) });
  return { clock, sentAt, transactions };
}

test('an unanswered UDP request is retransmitted on schedule and then times out', async () => {
  const { clock, sentAt, transactions } = harness();
  const result = transactions.request(createStunMessage(StunMethod.Binding, 'request'));
  clock.advance(39_499);
  assert.deepEqual(sentAt, [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(transactions.pendingCount, 1);
  clock.advance(1);
  await assert.rejects(result, (error: unknown) => error instanceof StunTimeoutError && error.attempts === 7);
  assert.equal(transactions.pendingCount, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('a TCP request is sent once and times out after 39.5 s', async () => {
  const { clock, sentAt, transactions } = harness(true);
  const result = transactions.request(createStunMessage(StunMethod.Binding, 'request'));
  clock.advance(39_500);
  assert.deepEqual(sentAt, [0]);
  await assert.rejects(result, StunTimeoutError);
});

test('a response with the transaction ID completes the request and stops retransmissions', async () => {
  const { clock, sentAt, transactions } = harness();
  const request = createStunMessage(StunMethod.Binding, 'request');
  const result = transactions.request(request);
  clock.advance(600);
  const stranger = decodeStunMessage(encodeStunMessage(createStunMessage(StunMethod.Binding, 'success')));
  assert.equal(transactions.handleResponse(stranger), false);
  const response = decodeStunMessage(
    encodeStunMessage(createStunMessage(StunMethod.Binding, 'error', request.transactionId)),
  );
  assert.equal(transactions.handleResponse(response), true);
  assert.equal((await result).class, 'error');
  clock.advance(60_000);
  assert.deepEqual(sentAt, [0, 500]);
  assert.equal(transactions.handleResponse(response), false, 'a duplicate response is not matched twice');
});

test('close rejects outstanding requests and refuses new ones; a failing send rejects', async () => {
  const { clock, transactions } = harness();
  const pending = transactions.request(createStunMessage(StunMethod.Binding, 'request'));
  transactions.close();
  await assert.rejects(pending, StunTransactionClosedError);
  await assert.rejects(
    transactions.request(createStunMessage(StunMethod.Binding, 'request')),
    StunTransactionClosedError,
  );
  assert.equal(clock.pendingTimers, 0);
  const failing = new StunClientTransactions({
    clock,
    send: () => {
      throw new Error('EHOSTUNREACH');
    },
  });
  await assert.rejects(failing.request(createStunMessage(StunMethod.Binding, 'request')), /EHOSTUNREACH/);
  assert.equal(failing.pendingCount, 0);
});
