import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CongestionControl } from './congestion.ts';
import { DEFAULT_RTO_CONFIG, initialRtoState, rtoAfterBackoff, rtoAfterMeasurement } from './rto.ts';

test('RTO follows RFC 9260 §6.3.1 C1-C3 measurement by measurement', () => {
  const config = { initialMs: 1000, minMs: 100, maxMs: 60_000, granularityMs: 1 };
  let state = initialRtoState(config);
  assert.equal(state.rto, 1000);
  state = rtoAfterMeasurement(state, 200, config);
  assert.deepEqual(state, { srtt: 200, rttvar: 100, rto: 600 });
  state = rtoAfterMeasurement(state, 100, config);
  assert.deepEqual(state, { srtt: 187.5, rttvar: 100, rto: 587.5 });
  state = rtoAfterMeasurement(state, 300, config);
  assert.deepEqual(state, { srtt: 201.5625, rttvar: 103.125, rto: 614.0625 });
});

test('RTO is clamped to RTO.Min and RTO.Max, G bounds the variance term, and back-off doubles', () => {
  let state = rtoAfterMeasurement(initialRtoState(DEFAULT_RTO_CONFIG), 10, DEFAULT_RTO_CONFIG);
  assert.equal(state.rto, 1000);
  const fine = { ...DEFAULT_RTO_CONFIG, minMs: 1, granularityMs: 5 };
  let steady = rtoAfterMeasurement(initialRtoState(fine), 8, fine);
  for (let i = 0; i < 50; i++) steady = rtoAfterMeasurement(steady, 8, fine);
  assert.ok(Math.abs(steady.rto - 13) < 1e-6, `rto ${steady.rto}`);
  const rtos: number[] = [];
  for (let i = 0; i < 8; i++) {
    state = rtoAfterBackoff(state, DEFAULT_RTO_CONFIG);
    rtos.push(state.rto);
  }
  assert.deepEqual(rtos, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

test('congestion control: initial window, slow start, T3 reaction, avoidance, fast recovery (§7.2)', () => {
  const cc = new CongestionControl(1200, 100_000);
  assert.equal(cc.cwnd, 4380);
  assert.equal(cc.ssthresh, 100_000);
  cc.onSack(10, true, 3000, 4380, 1380);
  assert.equal(cc.cwnd, 5580, 'slow start adds at most one MTU');
  cc.onSack(11, true, 1000, 1000, 0);
  assert.equal(cc.cwnd, 5580, 'no growth when the window was not fully used');
  cc.onRetransmissionTimeout();
  assert.deepEqual([cc.cwnd, cc.ssthresh], [1200, 4800]);
  cc.cwnd = 6000;
  cc.onSack(12, true, 3000, 6000, 3000);
  assert.deepEqual([cc.cwnd, cc.partialBytesAcked], [6000, 3000]);
  cc.onSack(13, true, 3000, 6000, 3000);
  assert.deepEqual([cc.cwnd, cc.partialBytesAcked], [7200, 0], 'one MTU per cwnd of acked bytes');
  assert.equal(cc.onFastRetransmit(40), true);
  assert.deepEqual([cc.cwnd, cc.ssthresh, cc.inFastRecovery], [4800, 4800, true]);
  assert.equal(cc.onFastRetransmit(41), false, 'no second reduction inside fast recovery');
  cc.onSack(30, true, 5000, 4800, 0);
  assert.equal(cc.cwnd, 4800, 'no growth inside fast recovery');
  cc.onSack(40, true, 1200, 4800, 3600);
  assert.equal(cc.inFastRecovery, false, 'fast recovery ends at its exit point');
});
