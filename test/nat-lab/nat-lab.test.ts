/**
 * The NAT lab (issue 20): Dyad ↔ Dyad across real kernel NATs in network namespaces (see topology.ts
 * and docs/nat-lab.md), one row per pair of site kinds, each moving a SHA-256-checked payload through a
 * data channel between two processes signalled by `dyad serve`. Prints the matrix. Needs root, `ip` and
 * `nft`: skipped loudly without them, failed under CI=true (CI runs as root and installs nftables).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NatLab, type RowResult } from './lab.ts';
import { formatMatrix, labPrograms, matrixRows, runMatrix } from './matrix.ts';
import { listLabNamespaces } from './netns.ts';
import type { PeerReport } from './peer.ts';

const matrixLimitMs = 170_000;

function describeRow(result: RowResult): string {
  const errors = [result.sender, result.receiver].map((r) => r.error).filter(Boolean);
  return `${result.a} → ${result.b} (${result.policy})${errors.length ? `: ${errors.join('; ')}` : ''}`;
}

type Selected = NonNullable<PeerReport['selected']>;

/** What the topology implies about the selected pair, seen from both peers. */
function checkRow(result: RowResult): void {
  const row = describeRow(result);
  assert.ok(result.sender.payloadOk && result.receiver.payloadOk, `payload crossed intact: ${row}`);
  const sender = result.sender.selected as Selected;
  const receiver = result.receiver.selected as Selected;
  assert.ok(sender && receiver, `both peers report a selected pair: ${row}`);
  for (const selected of [sender, receiver]) {
    assert.equal(selected.state, 'succeeded', `the selected pair is a succeeded one: ${row}`);
    assert.ok(selected.nominated, `the selected pair is nominated (RFC 8445 §8.1.1): ${row}`);
  }
  // Both ends name the same path: what one sends from is what the other sees the data come from.
  assert.deepEqual(
    [sender.local.address, sender.local.port],
    [receiver.remote.address, receiver.remote.port],
    `sender's local end is the receiver's remote end: ${row}`,
  );
  assert.deepEqual(
    [receiver.local.address, receiver.local.port],
    [sender.remote.address, sender.remote.port],
    `receiver's local end is the sender's remote end: ${row}`,
  );
  const types = [sender.local.candidateType, receiver.local.candidateType];
  if (result.policy === 'relay') assert.deepEqual(types, ['relay', 'relay'], `relay-only uses TURN: ${row}`);
  // A site that cannot send UDP out reaches anyone only through its relay (TURN over TCP, or over TLS on
  // 443 behind the strictest firewall).
  const firewalled = (kind: string) => kind === 'udp-blocked' || kind === 'tcp443-only';
  if (firewalled(result.a)) assert.equal(sender.local.candidateType, 'relay', row);
  if (firewalled(result.b)) assert.equal(receiver.local.candidateType, 'relay', row);
  // A public host is reachable directly from any NAT that lets UDP out: no relay is needed.
  const direct = [result.a, result.b].includes('public') && !firewalled(result.a) && !firewalled(result.b);
  if (direct && result.policy === 'all') assert.ok(!types.includes('relay'), `no relay needed: ${row}`);
}

test('NAT lab: Dyad ↔ Dyad across kernel NATs, every pair of site kinds', { timeout: 240_000 }, async (t) => {
  const programs = labPrograms();
  if (typeof programs === 'string') {
    if (process.env.CI === 'true') throw new Error(`${programs}. CI=true: .ci/run must provide it.`);
    console.warn(`\n*** SKIPPED: ${programs} ***\n`);
    t.skip(programs);
    return;
  }
  const lab = new NatLab(programs);
  const started = performance.now();
  let results: RowResult[];
  try {
    results = await runMatrix(lab, matrixRows());
  } finally {
    const failures = await lab.close();
    assert.deepEqual(failures, [], 'every namespace of the run was deleted');
  }
  const took = performance.now() - started;
  console.log(`\nNAT lab matrix (${Math.round(took / 1000)} s):\n${formatMatrix(results)}\n`);
  const left = (await listLabNamespaces(programs)).filter((name) => name.includes(lab.set.run));
  assert.deepEqual(left, [], 'no namespace of this run is left');
  for (const result of results) checkRow(result);
  assert.ok(took < matrixLimitMs, `the matrix ran in ${Math.round(took)} ms`);
});
