/**
 * A short fixed-seed run of each fuzz door against a real `dyad serve` (and of the peer door against a
 * live RTCPeerConnection), after the replay of the seed corpus and of every saved crasher: any crash
 * fails. The full campaign is `npm run fuzz`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DoorName, formatReport, runCampaignDoor } from '../../fuzz/campaign.ts';

const seed = 20_261_204;
const casesPerDoor: Record<DoorName, number> = {
  signaling: 5_000,
  'turn-udp': 4_000,
  'turn-tcp': 4_000,
  peer: 2_000,
};

for (const door of Object.keys(casesPerDoor) as DoorName[]) {
  test(`fuzz door ${door}: ${casesPerDoor[door]} cases, seed ${seed}, no crash`, {
    timeout: 60_000,
  }, async (t) => {
    const lines: string[] = [];
    const report = await runCampaignDoor(
      door,
      { cases: casesPerDoor[door], seed, deadlineMs: Date.now() + 20_000, log: (line) => lines.push(line) },
      // Memory is the long campaign's concern; here RSS is read after one second.
      1_000,
    );
    const summary = `${formatReport(report, seed)}\n${lines.join('\n')}`;
    for (const line of summary.split('\n')) t.diagnostic(line);
    assert.equal(report.crashes, 0, summary);
    assert.ok(report.cases > 0, summary);
  });
}
