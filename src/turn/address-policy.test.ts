import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerAddressPolicy, parseIpRange, rangeContains } from './address-policy.ts';

test('special-purpose peers are refused by default, public ones allowed', () => {
  const policy = new PeerAddressPolicy();
  const denied = [
    '127.0.0.1',
    '127.8.9.10',
    '10.2.3.4',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '0.0.0.0',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '64:ff9b::a00:1',
    'not-an-ip',
  ];
  for (const address of denied) assert.equal(policy.allows(address), false, address);
  for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860::8888', '::ffff:8.8.8.8']) {
    assert.equal(policy.allows(address), true, address);
  }
});

test('loopback and operator ranges can be allowed', () => {
  const policy = new PeerAddressPolicy({
    allowLoopbackPeers: true,
    allowedPeerRanges: ['192.168.10.0/24', 'fd00::/8'],
  });
  for (const address of ['127.0.0.1', '::1', '192.168.10.77', 'fd00::5', '::ffff:192.168.10.1']) {
    assert.equal(policy.allows(address), true, address);
  }
  for (const address of ['192.168.11.1', '10.0.0.1', 'fe80::1'])
    assert.equal(policy.allows(address), false, address);
});

test('CIDR parsing', () => {
  assert.equal(rangeContains(parseIpRange('100.64.0.0/10'), Uint8Array.of(100, 127, 0, 1)), true);
  assert.equal(rangeContains(parseIpRange('100.64.0.0/10'), Uint8Array.of(100, 128, 0, 1)), false);
  assert.equal(rangeContains(parseIpRange('0.0.0.0/0'), Uint8Array.of(1, 2, 3, 4)), true);
  assert.equal(rangeContains(parseIpRange('1.2.3.4'), Uint8Array.of(1, 2, 3, 4)), true);
  for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/', '::/129']) assert.throws(() => parseIpRange(bad));
});
