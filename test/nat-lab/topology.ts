/**
 * The NAT lab's network: an "internet" namespace (the public segment's router, and the host `dyad serve`
 * runs on) and two sites, each a router namespace doing what a kind of real router does, with one host
 * namespace on its LAN where a peer runs.
 *
 *   peer-a ── router-a ──┐                ┌── router-b ── peer-b
 *   (LAN)    (nftables)  └── internet ────┘   (nftables)   (LAN)
 *                           198.18.0.1: dyad serve (signaling, STUN/TURN)
 *
 * Public addresses come from 198.18.0.0/15 (RFC 2544 benchmarking): routed nowhere, so nothing of the lab
 * can pass for a real host; dyad serve denies relaying to it by default, and the lab allows it with
 * `--turn-allow 198.18.0.0/15` (as an operator whose users sit in such a range would). Private LANs are
 * 10.<site>.0.0/24; the internet has no route to them, as on the real internet.
 */
import type { NamespaceSet } from './netns.ts';

/** What sits between a site's LAN and the internet. */
export type SiteKind =
  /** A home router: masquerade keeps the source port, one mapping per socket (RFC 4787 EIM). */
  | 'eim-nat'
  /** Symmetric NAT: `masquerade fully-random` (iptables' --random-fully), a new random port per destination. */
  | 'symmetric-nat'
  /** A home router whose firewall drops every outgoing UDP datagram (TCP still goes out, NATed). */
  | 'udp-blocked'
  /**
   * A corporate firewall that lets only TCP to port 443 out: TURN over TLS is the only way for media.
   * The signaling server's port is let through too (deployments put signaling on 443 behind a proxy;
   * the lab's dyad serve listens on 8080, and what the lab tests is the media path).
   */
  | 'tcp443-only'
  /** No NAT: the LAN has public addresses, routed as they are. */
  | 'public';

export const siteKinds: readonly SiteKind[] = [
  'public',
  'eim-nat',
  'symmetric-nat',
  'udp-blocked',
  'tcp443-only',
];

export const labPublicRange = '198.18.0.0/15';
export const serverAddress = '198.18.0.1';
export const signalingPort = 8080;

export interface Site {
  /** n: the site's addresses are 198.18.n.0/24 and its LAN 10.n.0.0/24 (198.18.(100+n).0/24 if public). */
  readonly index: number;
  readonly kind: SiteKind;
  readonly router: string;
  readonly host: string;
  /** The peer's address on its LAN. */
  readonly hostAddress: string;
  /** The router's address on the internet. */
  readonly publicAddress: string;
}

export interface Lab {
  readonly internet: string;
  readonly sites: readonly Site[];
}

/** Builds the internet and one site per kind (site n has 198.18.n.0/24 towards the internet). */
export async function buildLab(set: NamespaceSet, kinds: readonly SiteKind[]): Promise<Lab> {
  const internet = await set.create('inet');
  await set.exec(internet, 'addr', 'add', `${serverAddress}/32`, 'dev', 'lo');
  await set.sysctl(internet, 'net.ipv4.ip_forward=1');
  const sites: Site[] = [];
  for (const [index, kind] of kinds.entries()) {
    const n = index + 1;
    const router = await set.create(`r${n}`);
    const host = await set.create(`h${n}`);
    await set.sysctl(router, 'net.ipv4.ip_forward=1');
    const wan = await set.link(internet, router);
    const publicAddress = `198.18.${n}.2`;
    await set.exec(internet, 'addr', 'add', `198.18.${n}.1/24`, 'dev', wan.inA);
    await set.exec(router, 'addr', 'add', `${publicAddress}/24`, 'dev', wan.inB);
    await set.exec(router, 'route', 'add', 'default', 'via', `198.18.${n}.1`);
    const lan = await set.link(router, host);
    const prefix = kind === 'public' ? `198.18.${100 + n}` : `10.${n}.0`;
    await set.exec(router, 'addr', 'add', `${prefix}.1/24`, 'dev', lan.inA);
    await set.exec(host, 'addr', 'add', `${prefix}.2/24`, 'dev', lan.inB);
    await set.exec(host, 'route', 'add', 'default', 'via', `${prefix}.1`);
    if (kind === 'public') await set.exec(internet, 'route', 'add', `${prefix}.0/24`, 'via', publicAddress);
    const ruleset = routerRuleset(kind, wan.inB, lan.inA);
    if (ruleset) await set.nft(router, ruleset);
    sites.push({ index: n, kind, router, host, hostAddress: `${prefix}.2`, publicAddress });
  }
  return { internet, sites };
}

/** The router's nftables ruleset for a site kind (undefined: plain routing). */
export function routerRuleset(kind: SiteKind, wan: string, lan: string): string | undefined {
  const nat = (flags: string) => `
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${wan}" masquerade${flags}
  }`;
  switch (kind) {
    case 'public':
      return undefined;
    case 'eim-nat':
      // Linux keeps the source port when the resulting tuple is free: one public port per socket.
      return `table ip dyadlab {${nat('')}\n}\n`;
    case 'symmetric-nat':
      return `table ip dyadlab {${nat(' fully-random')}\n}\n`;
    case 'tcp443-only':
      return `table ip dyadlab {${nat('')}
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${lan}" oifname "${wan}" tcp dport 443 accept
    iifname "${lan}" oifname "${wan}" ip daddr ${serverAddress} tcp dport ${signalingPort} accept
    iifname "${lan}" oifname "${wan}" drop
  }
}
`;
    case 'udp-blocked':
      return `table ip dyadlab {${nat('')}
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${lan}" oifname "${wan}" meta l4proto udp drop
  }
}
`;
  }
}
