/** The lab's matrix: which rows run, on which sites, and how the results print. */
import { accessSync, constants } from 'node:fs';
import type { NatLab, RowResult } from './lab.ts';
import type { Programs } from './netns.ts';
import type { PeerReport } from './peer.ts';
import { type Site, type SiteKind, siteKinds } from './topology.ts';

export interface Row {
  readonly a: SiteKind;
  readonly b: SiteKind;
  readonly policy: 'all' | 'relay';
}

function find(candidates: readonly string[]): string | undefined {
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `ip` and `nft`, or why the lab cannot run here. */
export function labPrograms(): Programs | string {
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces and nftables)';
  const ip = find(['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip']);
  const nft = find(['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft']);
  if (!ip) return "`ip` is missing (Debian's iproute2)";
  if (!nft) return "`nft` is missing (Debian's nftables)";
  return { ip, nft };
}

/** Every unordered pair of site kinds, and relay-only between the two NAT kinds. */
export function matrixRows(): Row[] {
  const rows: Row[] = [];
  // TURN over TLS behind the 443-only firewall is one row (against a public host), to bound the run time.
  const kinds = siteKinds.filter((kind) => kind !== 'tcp443-only');
  for (const [i, a] of kinds.entries()) for (const b of kinds.slice(i)) rows.push({ a, b, policy: 'all' });
  rows.push({ a: 'tcp443-only', b: 'public', policy: 'all' });
  rows.push({ a: 'eim-nat', b: 'symmetric-nat', policy: 'relay' });
  return rows;
}

/** Builds a lab with two sites of each kind the rows use and runs the rows one after the other. */
export async function runMatrix(lab: NatLab, rows: readonly Row[]): Promise<RowResult[]> {
  const kinds = [...new Set(rows.flatMap((row) => [row.a, row.b]))];
  const built = await lab.start(kinds.flatMap((kind) => [kind, kind]));
  const sitesOf = (kind: SiteKind) => built.sites.filter((site) => site.kind === kind) as [Site, Site];
  const results: RowResult[] = [];
  for (const row of rows) {
    const a = sitesOf(row.a)[0];
    // Two peers of the same kind sit behind two routers of that kind, as two homes would.
    const b = sitesOf(row.b)[row.a === row.b ? 1 : 0];
    results.push(await lab.runRow(a, b, { policy: row.policy }));
  }
  return results;
}

function pairText(report: PeerReport): string {
  const selected = report.selected;
  if (!selected) return report.ok ? '(none reported)' : 'failed';
  const local = selected.local.relayProtocol
    ? `relay/${selected.local.relayProtocol}`
    : selected.local.candidateType;
  return `${local}→${selected.remote.candidateType}${selected.nominated ? '' : ' (not nominated)'}`;
}

/** A plain-text table: one row per pair of sites, both peers' selected pairs, setup times, payload. */
export function formatMatrix(results: readonly RowResult[]): string {
  const header = [
    'sender site',
    'receiver site',
    'policy',
    'sender pair',
    'receiver pair',
    'setup ms',
    'nominated ms',
    'payload',
  ];
  const lines = results.map((r) => [
    r.a,
    r.b,
    r.policy,
    pairText(r.sender),
    pairText(r.receiver),
    `${r.sender.setupMs ?? '-'} / ${r.receiver.setupMs ?? '-'}`,
    `${r.sender.nominatedMs ?? '-'} / ${r.receiver.nominatedMs ?? '-'}`,
    r.sender.payloadOk && r.receiver.payloadOk ? 'ok' : 'FAILED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}
