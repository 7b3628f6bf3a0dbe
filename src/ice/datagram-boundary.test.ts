import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock, VirtualNetwork } from '../util/index.ts';
import { IceAgent } from './agent.ts';
import { DatagramBoundary, type DatagramErrorReport } from './datagram-boundary.ts';
import type { IceAgentOptions } from './options.ts';
import { NodeIceTransport, VirtualIceTransport } from './transport.ts';

class SecretError extends Error {
  override readonly name = 'SecretError';
}

test('the boundary counts errors by kind and reports at most once per interval, without messages', () => {
  const clock = new VirtualClock();
  const reports: DatagramErrorReport[] = [];
  const boundary = new DatagramBoundary({
    clock,
    reportIntervalMs: 1000,
    report: (report) => {
      reports.push({ ...report, counts: new Map(report.counts) });
      throw new Error('a failing reporter changes nothing');
    },
  });
  boundary.caught(new SecretError('payload 0xdeadbeef'));
  boundary.caught(new RangeError('offset out of range'));
  boundary.caught('not an error');
  clock.advance(1000);
  boundary.caught(new SecretError('payload again'));
  assert.equal(boundary.total, 4);
  assert.deepEqual(
    [...boundary.counts],
    [
      ['SecretError', 2],
      ['RangeError', 1],
      ['non-error', 1],
    ],
  );
  assert.deepEqual(
    reports.map((report) => [report.kind, report.sinceLastReport, report.total]),
    [
      ['SecretError', 1, 1],
      ['SecretError', 3, 4],
    ],
  );
  assert.doesNotMatch(
    JSON.stringify(reports.map((r) => ({ ...r, counts: [...r.counts] }))),
    /payload|offset/,
  );
});

test('a rejected promise handed to settle() is counted, never unhandled', async () => {
  const boundary = new DatagramBoundary({ report: () => {} });
  boundary.settle(Promise.reject(new TypeError('late')));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([...boundary.counts], [['TypeError', 1]]);
});

function waitFor(condition: () => boolean, limitMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) resolve();
      else if (Date.now() - started > limitMs) reject(new Error(`not within ${limitMs} ms`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

class LoopbackOnly extends NodeIceTransport {
  constructor() {
    super({ mdns: false });
  }
  override interfaces() {
    return super.interfaces().filter((address) => address.internal && address.family === 'IPv4');
  }
}

function connect(make: (role: 'controlling' | 'controlled') => IceAgent): [IceAgent, IceAgent] {
  const a = make('controlling');
  const b = make('controlled');
  a.on('candidate', (candidate) => b.addRemoteCandidate(candidate));
  b.on('candidate', (candidate) => a.addRemoteCandidate(candidate));
  a.setRemoteParameters(b.localParameters);
  b.setRemoteParameters(a.localParameters);
  void a.gather();
  void b.gather();
  return [a, b];
}

test('a datagram whose processing throws is dropped and counted; the process never sees it (real UDP)', async (t) => {
  const reports: DatagramErrorReport[] = [];
  const [a, b] = connect(
    (role) =>
      new IceAgent({
        role,
        includeLoopback: true,
        transport: new LoopbackOnly(),
        reportDatagramError: (report) => reports.push(report),
      }),
  );
  t.after(() => {
    a.close();
    b.close();
  });
  await waitFor(() => a.state === 'completed' && b.state === 'completed', 5000);
  // What runs under B's 'data' event (DTLS, SCTP, data channels) throwing, as a decoder bug would.
  // Before the boundary, this reached node:dgram's 'message' listener and the process: uncaughtException.
  const throwing = (data: Uint8Array) => {
    throw new SecretError(`secret ${data[1]}`);
  };
  b.on('data', throwing);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));
  for (let i = 0; i < 3; i++) assert.ok(a.send(Uint8Array.of(0x80, i)));
  await waitFor(() => b.datagramErrors.total === 3, 2000);
  b.off('data', throwing);
  const received: number[] = [];
  b.on('data', (data) => received.push(data[1]!));
  assert.ok(a.send(Uint8Array.of(0x80, 9)));
  await waitFor(() => received.length === 1, 2000);
  assert.deepEqual(received, [9]);
  assert.deepEqual(uncaught, []);
  assert.deepEqual([...b.datagramErrors.counts], [['SecretError', 3]]);
  assert.equal(reports.length, 1, 'reports are rate-limited');
  assert.doesNotMatch(JSON.stringify({ ...reports[0], counts: [...reports[0]!.counts] }), /secret/);
});

test('a check response whose continuation throws is counted, not an unhandled rejection', async (t) => {
  const clock = new VirtualClock();
  const network = new VirtualNetwork({ clock, seed: 1, defaultLink: { delayMs: 5 } });
  const options = (address: string): IceAgentOptions => ({
    clock,
    transport: new VirtualIceTransport(network, [address]),
    random: () => 0.5,
    reportDatagramError: () => {},
  });
  const [a, b] = connect((role) =>
    role === 'controlling'
      ? new IceAgent({ ...options('192.0.2.1'), role })
      : new IceAgent({ ...options('192.0.2.2'), role }),
  );
  // A state change from a check's response runs in that transaction's promise continuation.
  a.on('statechange', (state) => {
    if (state === 'connected') throw new SecretError('listener failed');
  });
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.after(() => process.off('unhandledRejection', onRejection));
  for (let elapsed = 0; elapsed < 3000 && a.datagramErrors.total === 0; elapsed += 10) {
    clock.advance(10);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(rejections, []);
  assert.deepEqual([...a.datagramErrors.counts], [['SecretError', 1]]);
  a.close();
  b.close();
});
