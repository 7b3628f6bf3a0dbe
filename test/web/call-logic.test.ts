/** Unit tests of the call page's pure parts: the safety code and the getStats summary. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseFingerprint, safetyCode } from '../../web/src/call/safety-code.ts';
import { describePath, summarizeStats } from '../../web/src/call/stats.ts';

const fpA =
  'sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
const fpB =
  'sha-256 10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE:10:32:54:76:98:BA:DC:FE';

test('fingerprints are read from session or media level and normalized', () => {
  const sdp = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:SHA-256 ${fpA.slice(8).toLowerCase()}\r\n`;
  assert.deepEqual(parseFingerprint(sdp), { algorithm: 'sha-256', value: fpA.slice(8) });
  assert.equal(parseFingerprint('v=0\r\n'), undefined);
});

test('the safety code is order-independent, 12 digits, and follows the documented derivation', () => {
  const a = { algorithm: 'sha-256', value: fpA.slice(8) };
  const b = { algorithm: 'sha-256', value: fpB.slice(8) };
  const code = safetyCode(a, b);
  assert.equal(safetyCode(b, a), code);
  // docs/safety-code.md: sorted lines, LF, SHA-256, first 8 bytes big-endian mod 10^12.
  const digest = createHash('sha256').update([fpA, fpB].sort().join('\n')).digest();
  const expected = (digest.readBigUInt64BE(0) % 10n ** 12n).toString().padStart(12, '0');
  assert.equal(code.replaceAll(' ', ''), expected);
  assert.match(code, /^\d{4} \d{4} \d{4}$/);
  assert.notEqual(safetyCode(a, { ...b, value: b.value.replace('10', '11') }), code);
});

test('getStats summary: selected pair, RTT, bitrates from two samples, loss, video size', () => {
  const report = (t: number, bytesIn: number, bytesOut: number) =>
    new Map<string, Record<string, unknown> & { id: string; type: string; timestamp: number }>([
      ['T', { id: 'T', type: 'transport', timestamp: t, selectedCandidatePairId: 'P' }],
      [
        'P',
        {
          id: 'P',
          type: 'candidate-pair',
          timestamp: t,
          localCandidateId: 'L',
          remoteCandidateId: 'R',
          currentRoundTripTime: 0.042,
        },
      ],
      ['L', { id: 'L', type: 'local-candidate', timestamp: t, candidateType: 'relay', relayProtocol: 'tcp' }],
      ['R', { id: 'R', type: 'remote-candidate', timestamp: t, candidateType: 'srflx' }],
      [
        'I',
        {
          id: 'I',
          type: 'inbound-rtp',
          timestamp: t,
          kind: 'video',
          bytesReceived: bytesIn,
          packetsLost: 3,
          frameWidth: 640,
          frameHeight: 480,
          framesPerSecond: 30,
        },
      ],
      ['O', { id: 'O', type: 'outbound-rtp', timestamp: t, kind: 'video', bytesSent: bytesOut }],
    ]);
  const first = summarizeStats(report(1000, 1000, 2000));
  assert.equal(first.bitrateInBps, undefined);
  const second = summarizeStats(report(2000, 126_000, 252_000), first.sample);
  assert.equal(second.bitrateInBps, 1_000_000);
  assert.equal(second.bitrateOutBps, 2_000_000);
  assert.equal(second.roundTripMs, 42);
  assert.equal(second.packetsLost, 3);
  assert.deepEqual([second.width, second.height, second.framesPerSecond], [640, 480, 30]);
  assert.equal(describePath(second.path!), 'Relayed through TURN (tcp)');
  assert.equal(
    describePath({ local: 'host', remote: 'host', protocol: 'udp', relayed: false }),
    'Direct · local network',
  );
  assert.equal(
    describePath({ local: 'srflx', remote: 'host', protocol: 'udp', relayed: false }),
    'Direct · through NAT (server-reflexive)',
  );
});
