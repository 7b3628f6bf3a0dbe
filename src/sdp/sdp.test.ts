import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  findAttribute,
  parseAttribute,
  parseCandidate,
  parseSdp,
  SdpParseError,
  serializeAttribute,
  serializeCandidate,
  serializeSdp,
} from './index.ts';

const minimal = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=ice-lite',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=ice-options:trickle ice2',
  'a=fingerprint:sha-256 AB:CD:EF',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  'a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host',
  'a=candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 192.0.2.1 rport 50000 generation 0',
  'a=end-of-candidates',
  'a=x-vendor:some value:with colons',
  'a=recvonly',
  '',
].join('\r\n');

test('parses a data-channel description into typed attributes', () => {
  const d = parseSdp(minimal);
  assert.equal(d.origin.sessionId, '4611731400430051336');
  assert.deepEqual(findAttribute(d.attributes, 'group'), { type: 'group', semantics: 'BUNDLE', mids: ['0'] });
  assert.ok(findAttribute(d.attributes, 'ice-lite'));
  const m = d.media[0]!;
  assert.deepEqual(findAttribute(m.attributes, 'ice-options')?.options, ['trickle', 'ice2']);
  assert.deepEqual(findAttribute(m.attributes, 'fingerprint'), {
    type: 'fingerprint',
    algorithm: 'sha-256',
    value: 'AB:CD:EF',
  });
  assert.equal(findAttribute(m.attributes, 'setup')?.role, 'actpass');
  assert.equal(findAttribute(m.attributes, 'sctp-port')?.port, 5000);
  assert.equal(findAttribute(m.attributes, 'direction')?.direction, 'recvonly');
  assert.deepEqual(m.attributes.at(-2), {
    type: 'unknown',
    name: 'x-vendor',
    value: 'some value:with colons',
  });
  const srflx = m.attributes.filter((a) => a.type === 'candidate')[1];
  assert.deepEqual(srflx, {
    type: 'candidate',
    candidate: {
      foundation: '2',
      component: 1,
      transport: 'udp',
      priority: 1694498815,
      address: '198.51.100.7',
      port: 40000,
      type: 'srflx',
      relatedAddress: '192.0.2.1',
      relatedPort: 50000,
      extensions: [['generation', '0']],
    },
  });
  assert.equal(serializeSdp(d), minimal);
});

test('accepts LF-only line endings and serializes with CRLF', () => {
  const d = parseSdp(minimal.replaceAll('\r\n', '\n'));
  assert.equal(serializeSdp(d), minimal);
});

test('media attributes of RTP sections round-trip', () => {
  const lines = [
    'rtpmap:111 opus/48000/2',
    'rtpmap:96 VP8/90000',
    'fmtp:111 minptime=10;useinbandfec=1',
    'fmtp:101 0-15',
    'rtcp-fb:96 nack pli',
    'rtcp-fb:* transport-cc',
    'extmap:3/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level',
    'extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on',
    'ssrc:1001 cname:{abc}',
    'ssrc:1001 msid:stream track',
    'ssrc-group:FID 1001 1002',
    'msid:- 7b0a',
    'rid:h send pt=96;max-width=640',
    'rid:q recv',
    'simulcast:recv ~q,h;f send x',
    'rtcp-mux',
    'rtcp-rsize',
  ];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const attribute =
      colon < 0
        ? parseAttribute(line, undefined)
        : parseAttribute(line.slice(0, colon), line.slice(colon + 1));
    assert.notEqual(attribute.type, 'unknown', line);
    assert.equal(serializeAttribute(attribute), line);
  }
  assert.deepEqual(parseAttribute('rtpmap', '111 opus/48000/2'), {
    type: 'rtpmap',
    payloadType: 111,
    encodingName: 'opus',
    clockRate: 48000,
    channels: 2,
  });
  assert.deepEqual(parseAttribute('simulcast', 'recv ~q,h;f'), {
    type: 'simulcast',
    recv: [
      [
        { rid: 'q', paused: true },
        { rid: 'h', paused: false },
      ],
      [{ rid: 'f', paused: false }],
    ],
    order: ['recv'],
  });
});

test('trickled candidate strings parse with or without a= and keep extensions in order', () => {
  const text =
    'candidate:3430862329 1 udp 2122260223 4b2b7a4e-5c1d-4a8b-9f0e-0123456789ab.local 54321 typ host generation 0 ufrag Xy12 network-id 1';
  const candidate = parseCandidate(`a=${text}`);
  assert.equal(candidate.address, '4b2b7a4e-5c1d-4a8b-9f0e-0123456789ab.local');
  assert.deepEqual(candidate.extensions, [
    ['generation', '0'],
    ['ufrag', 'Xy12'],
    ['network-id', '1'],
  ]);
  assert.equal(serializeCandidate(candidate), text);
  const tcp = parseCandidate('candidate:2 1 TCP 2105458943 fd00::2 9 typ host tcptype active');
  assert.equal(tcp.tcpType, 'active');
});

test('malformed descriptions give SdpParseError with line number and text', () => {
  const cases: [string, number, string][] = [
    [minimal.replace('a=sctp-port:5000', 'a=sctp-port:99999'), 15, 'a=sctp-port:99999'],
    [minimal.replace('typ srflx', 'typ bogus'), 18, 'typ bogus'],
    [minimal.replace('m=application 9', 'm=application x'), 7, 'm=application x'],
    [minimal.replace('o=- 4611731400430051336 2 IN IP4 127.0.0.1', 'o=- x 2 IN IP4'), 2, 'o=- x 2 IN IP4'],
    [minimal.replace('s=-', 's=-\r\nq=what'), 4, 'q=what'],
    [minimal.replace('a=setup:actpass', 'a=setup:sideways'), 13, 'a=setup:sideways'],
    [minimal.replace('a=mid:0', 'a=mid'), 14, 'a=mid'],
    [minimal.replace('a=fingerprint:sha-256 AB:CD:EF', 'a=fingerprint:sha-256 ABCDEF'), 12, 'fingerprint'],
    [minimal.replace('c=IN IP4 0.0.0.0', 'c=IN IP4'), 8, 'c=IN IP4'],
    [`x${minimal}`, 1, 'xv=0'],
    [minimal.replace('a=ice-lite', 'a=ice-lite\r\n\r\n'), 7, ''],
  ];
  for (const [input, line, text] of cases) {
    assert.throws(
      () => parseSdp(input),
      (error: unknown) => error instanceof SdpParseError && error.line === line && error.text.includes(text),
      `expected line ${line} with ${text}`,
    );
  }
  assert.throws(() => parseSdp('v=0\r\ns=-\r\n'), SdpParseError);
  assert.throws(() => parseSdp('a'.repeat(100), { maxLength: 50 }), SdpParseError);
  assert.throws(() => parseCandidate('candidate:1 1 udp 1 1.2.3.4 5'), SdpParseError);
  assert.throws(() => parseCandidate('candidate:1 1 udp 99999999999 1.2.3.4 5 typ host'), SdpParseError);
});

test('arbitrary input never throws anything but SdpParseError', () => {
  const lineArbitrary = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc
      .constantFrom(...minimal.split('\r\n'))
      .chain((line) => fc.nat({ max: line.length }).map((cut) => line.slice(0, cut))),
    fc
      .tuple(
        fc.constantFrom('a=candidate:', 'a=rtpmap:', 'a=simulcast:', 'a=rid:', 'a=extmap:', 'a=ssrc:', 'm='),
        fc.string({ maxLength: 30 }),
      )
      .map(([prefix, rest]) => prefix + rest),
  );
  fc.assert(
    fc.property(fc.array(lineArbitrary, { maxLength: 30 }), (lines) => {
      const text = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', ...lines].join('\r\n');
      try {
        const parsed = parseSdp(text);
        assert.deepEqual(parseSdp(serializeSdp(parsed)), parsed);
      } catch (error) {
        if (!(error instanceof SdpParseError)) throw error;
      }
    }),
    { numRuns: 2000 },
  );
});

test('any valid candidate survives serialize → parse', () => {
  const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/);
  const candidate = fc.record({
    foundation: fc.stringMatching(/^[A-Za-z0-9+/]{1,32}$/),
    component: fc.integer({ min: 1, max: 256 }),
    transport: fc.constantFrom('udp', 'UDP', 'tcp'),
    priority: fc.integer({ min: 0, max: 0xffffffff }),
    address: fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.uuid().map((id) => `${id}.local`),
    ),
    port: fc.integer({ min: 0, max: 65535 }),
    type: fc.constantFrom('host', 'srflx', 'prflx', 'relay') as fc.Arbitrary<
      'host' | 'srflx' | 'prflx' | 'relay'
    >,
    extensions: fc.array(
      fc.tuple(
        token.filter((name) => !['raddr', 'rport', 'tcptype'].includes(name)),
        token,
      ),
      { maxLength: 4 },
    ),
  });
  fc.assert(
    fc.property(candidate, (c) => {
      assert.deepEqual(parseCandidate(serializeCandidate(c)), { ...c });
    }),
    { numRuns: 1000 },
  );
});
