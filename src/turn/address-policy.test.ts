import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerAddressPolicy } from './address-policy.ts';
import { parseIpRange, rangeContains } from './ip-range.ts';
import { startTurnServer } from './server.ts';

/** Every IPv6 form that carries an IPv4 address, written for `v4` (RFC 4291, RFC 6052, RFC 8215, RFC 3056). */
function embeddings(v4: string): Record<string, string> {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const word = (high: number, low: number) => ((high << 8) | low).toString(16);
  return {
    'IPv4-mapped ::ffff:0:0/96': `::ffff:${v4}`,
    'IPv4-translated ::ffff:0:0:0/96': `::ffff:0:${v4}`,
    'NAT64 64:ff9b::/96': `64:ff9b::${v4}`,
    // RFC 6052 §2.2 /48: the address around the zero u-octet (bits 64-71).
    'NAT64 local-use 64:ff9b:1::/48': `64:ff9b:1:${word(a, b)}:${word(0, c)}:${word(d, 0)}::`,
    '6to4 2002::/16': `2002:${word(a, b)}:${word(c, d)}::1`,
  };
}

const deniedIPv4: [string, string][] = [
  ['0.0.0.0', '"this network" (RFC 6890)'],
  ['0.1.2.3', '"this network" (RFC 6890)'],
  ['10.2.3.4', 'private (RFC 1918)'],
  ['100.64.0.1', 'CGNAT (RFC 6598)'],
  ['100.127.255.254', 'CGNAT (RFC 6598)'],
  ['127.0.0.1', 'loopback'],
  ['127.8.9.10', 'loopback'],
  ['169.254.169.254', 'link-local (RFC 3927)'],
  ['172.16.0.1', 'private (RFC 1918)'],
  ['172.31.255.255', 'private (RFC 1918)'],
  ['192.0.0.9', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.1', 'TEST-NET-1 (RFC 5737)'],
  ['192.88.99.1', '6to4 relay anycast (RFC 7526)'],
  ['192.168.0.1', 'private (RFC 1918)'],
  ['198.18.0.1', 'benchmarking (RFC 2544)'],
  ['198.19.255.255', 'benchmarking (RFC 2544)'],
  ['198.51.100.77', 'TEST-NET-2 (RFC 5737)'],
  ['203.0.113.5', 'TEST-NET-3 (RFC 5737)'],
  ['224.0.0.251', 'multicast (RFC 5771)'],
  ['239.255.255.250', 'multicast (RFC 5771)'],
  ['240.0.0.1', 'reserved (RFC 1112)'],
  ['255.255.255.255', 'limited broadcast (RFC 8190)'],
];

const allowedIPv4 = [
  '8.8.8.8',
  '1.1.1.1',
  '172.32.0.1',
  '100.128.0.1',
  '192.0.3.1',
  '198.51.101.1',
  '203.0.114.1',
];

const deniedIPv6: [string, string][] = [
  ['::', 'unspecified (RFC 4291 §2.5.2)'],
  ['::1', 'loopback (RFC 4291 §2.5.3)'],
  ['::8.8.8.8', 'IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)'],
  ['::10.0.0.1', 'IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)'],
  ['100::1', 'discard-only (RFC 6666)'],
  ['100::ffff:ffff:ffff:ffff', 'discard-only (RFC 6666)'],
  ['2001::1', 'Teredo (RFC 4380)'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo carrying public IPv4 addresses (RFC 4380)'],
  ['2001:1::2', 'TURN anycast, IETF protocol assignments (RFC 8155, RFC 2928)'],
  ['2001:2::1', 'benchmarking (RFC 5180)'],
  ['2001:10::1', 'ORCHID (RFC 4843)'],
  ['2001:20::1', 'ORCHIDv2 (RFC 7343)'],
  ['2001:1ff:ffff::1', 'the end of 2001::/23 (RFC 2928)'],
  ['2001:db8::1', 'documentation (RFC 3849)'],
  ['3fff::1', 'documentation (RFC 9637)'],
  ['3fff:fff:ffff::1', 'documentation (RFC 9637)'],
  ['5f00::1', 'SRv6 SIDs (RFC 9602)'],
  ['fc00::1', 'unique local (RFC 4193)'],
  ['fd12:3456::1', 'unique local (RFC 4193)'],
  ['fe80::1', 'link-local (RFC 4291)'],
  ['fec0::1', 'site-local (RFC 3879)'],
  ['ff02::1', 'multicast (RFC 4291)'],
  ['64:ff9b:1:808:ff08:800::', 'local-use NAT64 whose u-octet is not zero (RFC 6052 §2.2)'],
  ['64:ff9b:1::8.8.8.8', 'local-use NAT64 whose suffix is not zero: its IPv4 address is unknown'],
  ['64:ff9b:1:808:8:800:0:1', 'local-use NAT64 whose suffix is not zero: its IPv4 address is unknown'],
  ['not-an-ip', 'not an address'],
  ['', 'not an address'],
];

const allowedIPv6 = ['2001:4860:4860::8888', '2001:200::1', '2600::1', '3fff:1000::1', '2a00:1450::1'];

test('special-purpose IPv4 ranges are refused by default, public neighbours allowed', () => {
  const policy = new PeerAddressPolicy();
  for (const [address, why] of deniedIPv4) assert.equal(policy.allows(address), false, `${address}: ${why}`);
  for (const address of allowedIPv4) assert.equal(policy.allows(address), true, address);
});

test('special-purpose IPv6 ranges are refused by default, public neighbours allowed', () => {
  const policy = new PeerAddressPolicy();
  for (const [address, why] of deniedIPv6) assert.equal(policy.allows(address), false, `${address}: ${why}`);
  for (const address of allowedIPv6) assert.equal(policy.allows(address), true, address);
});

test('IPv6 forms carrying an IPv4 address are judged by that address, denied or allowed', () => {
  const policy = new PeerAddressPolicy();
  for (const [v4, why] of deniedIPv4) {
    for (const [form, address] of Object.entries(embeddings(v4))) {
      assert.equal(policy.allows(address), false, `${address}: ${form} of ${v4}, ${why}`);
    }
  }
  for (const v4 of allowedIPv4) {
    for (const [form, address] of Object.entries(embeddings(v4))) {
      assert.equal(policy.allows(address), true, `${address}: ${form} of ${v4}`);
    }
  }
});

test("the server's own addresses are refused, embedded in IPv6 too; isRefusedServerAddress names them", () => {
  const policy = new PeerAddressPolicy({ serverAddresses: ['93.184.216.34', '2606:2800:0220:1::1', 'bad'] });
  const refused = ['93.184.216.34', '2606:2800:220:1::1', ...Object.values(embeddings('93.184.216.34'))];
  for (const address of refused) assert.equal(policy.allows(address), false, address);
  for (const address of ['93.184.216.35', '2606:2800:220:1::2']) assert.equal(policy.allows(address), true);
  assert.equal(policy.isRefusedServerAddress('93.184.216.34'), true);
  assert.equal(policy.isRefusedServerAddress('2606:2800:220:1::1'), true, 'in canonical text');
  assert.equal(policy.isRefusedServerAddress('93.184.216.35'), false);
  const allowing = new PeerAddressPolicy({
    serverAddresses: ['93.184.216.34'],
    allowedPeerRanges: ['93.184.216.0/24'],
  });
  assert.equal(allowing.allows('93.184.216.34'), true, 'an operator allow beats the self-address refusal');
  assert.equal(allowing.isRefusedServerAddress('93.184.216.34'), false);
});

test("operator lists come first, with coturn's precedence: allowed beats denied beats the defaults", () => {
  const cases: [string, ConstructorParameters<typeof PeerAddressPolicy>[0], string, boolean][] = [
    ['operator deny beats default allow', { deniedPeerRanges: ['8.8.8.0/24'] }, '8.8.8.8', false],
    [
      'operator deny applies to embedded forms',
      { deniedPeerRanges: ['8.8.8.0/24'] },
      '64:ff9b::8.8.8.8',
      false,
    ],
    ['operator deny applies to 6to4', { deniedPeerRanges: ['8.8.8.0/24'] }, '2002:808:808::1', false],
    ['outside the denied range', { deniedPeerRanges: ['8.8.8.0/24'] }, '8.8.4.4', true],
    ['IPv6 operator deny', { deniedPeerRanges: ['2600::/12'] }, '2600::1', false],
    [
      'allowed and denied: allowed',
      { deniedPeerRanges: ['8.8.0.0/16'], allowedPeerRanges: ['8.8.8.8'] },
      '8.8.8.8',
      true,
    ],
    ['operator allow beats default deny', { allowedPeerRanges: ['10.0.0.0/8'] }, '10.1.1.1', true],
    ['allow of an embedded address', { allowedPeerRanges: ['10.0.0.0/8'] }, '64:ff9b::10.1.1.1', true],
    ['allow of a 6to4 address', { allowedPeerRanges: ['10.0.0.0/8'] }, '2002:a01:101::1', true],
    [
      'allow beats a deny of the same',
      { allowedPeerRanges: ['10.0.0.0/8'], deniedPeerRanges: ['10.0.0.0/8'] },
      '10.0.0.1',
      true,
    ],
    [
      'allowLoopbackPeers is an allow',
      { allowLoopbackPeers: true, deniedPeerRanges: ['127.0.0.0/8'] },
      '127.0.0.1',
      true,
    ],
    ['allowLoopbackPeers allows ::1', { allowLoopbackPeers: true }, '::1', true],
    ['allowLoopbackPeers allows nothing else', { allowLoopbackPeers: true }, '10.0.0.1', false],
    [
      'Teredo can be allowed',
      { allowedPeerRanges: ['2001::/32'] },
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      true,
    ],
    ['an allowed LAN', { allowedPeerRanges: ['192.168.10.0/24', 'fd00::/8'] }, 'fd00::5', true],
    ['an allowed LAN, mapped', { allowedPeerRanges: ['192.168.10.0/24'] }, '::ffff:192.168.10.1', true],
    ['next to an allowed LAN', { allowedPeerRanges: ['192.168.10.0/24'] }, '192.168.11.1', false],
  ];
  for (const [name, options, address, allowed] of cases) {
    assert.equal(new PeerAddressPolicy(options).allows(address), allowed, `${name}: ${address}`);
  }
});

test('an invalid range in the options throws an Error whose message is a sentence naming it', async () => {
  const bad: ['deniedPeerRanges' | 'allowedPeerRanges', string][] = [
    ['deniedPeerRanges', '10.0.0.0/33'],
    ['deniedPeerRanges', 'example.com'],
    ['allowedPeerRanges', '::/129'],
    ['allowedPeerRanges', '10.0.0.0/'],
    ['allowedPeerRanges', '10.0.0.0/-1'],
  ];
  for (const [option, value] of bad) {
    assert.throws(
      () => new PeerAddressPolicy({ [option]: ['8.8.8.8', value] }),
      (error: unknown) =>
        error instanceof Error &&
        error.message.includes(option) &&
        error.message.includes(`"${value}"`) &&
        /^[A-Z].*\.$/.test(error.message),
      `${option}: ${value}`,
    );
  }
  await assert.rejects(
    startTurnServer({
      host: '127.0.0.1',
      port: 0,
      staticUsers: new Map([['a', 'b']]),
      deniedPeerRanges: ['192.168.0.0/40'],
    }),
    /"192\.168\.0\.0\/40"/,
  );
});

test('CIDR parsing', () => {
  assert.equal(rangeContains(parseIpRange('100.64.0.0/10'), Uint8Array.of(100, 127, 0, 1)), true);
  assert.equal(rangeContains(parseIpRange('100.64.0.0/10'), Uint8Array.of(100, 128, 0, 1)), false);
  assert.equal(rangeContains(parseIpRange('0.0.0.0/0'), Uint8Array.of(1, 2, 3, 4)), true);
  assert.equal(rangeContains(parseIpRange('1.2.3.4'), Uint8Array.of(1, 2, 3, 4)), true);
  assert.equal(rangeContains(parseIpRange('::/0'), Uint8Array.of(1, 2, 3, 4)), false, 'families never mix');
  for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/', '::/129']) assert.throws(() => parseIpRange(bad));
});
