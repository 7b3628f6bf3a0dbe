import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  filterAttributes,
  findAttribute,
  parseCandidate,
  parseSdp,
  serializeCandidate,
  serializeSdp,
} from '../../src/sdp/index.ts';

// Captured from Debian Chromium and Firefox ESR by test/sdp/capture-fixtures.ts.
const directory = join(import.meta.dirname, '..', 'fixtures', 'sdp');
const fixtures = readdirSync(directory).filter((name) => name.endsWith('.sdp'));

test('fixtures cover both browsers, offers and answers', () => {
  for (const browser of ['chromium', 'firefox']) {
    for (const kind of ['offer', 'answer']) {
      assert.ok(fixtures.includes(`${browser}-${kind}.sdp`), `${browser}-${kind}.sdp is missing`);
      assert.ok(
        fixtures.includes(`${browser}-simulcast-${kind}.sdp`),
        `${browser}-simulcast-${kind}.sdp is missing`,
      );
    }
  }
});

for (const name of fixtures) {
  test(`${name}: parse, serialize byte-equal, parse again equal`, () => {
    const text = readFileSync(join(directory, name), 'utf8');
    const description = parseSdp(text);
    const serialized = serializeSdp(description);
    // Browsers write canonical RFC 8866 order with CRLF, so our text is theirs, byte for byte.
    assert.equal(serialized, text);
    assert.deepEqual(parseSdp(serialized), description);
  });

  test(`${name}: the JSEP attributes are understood`, () => {
    const description = parseSdp(readFileSync(join(directory, name), 'utf8'));
    assert.deepEqual(
      description.media.map((m) => m.media),
      ['audio', 'video', 'application'],
    );
    const bundle = findAttribute(description.attributes, 'group');
    assert.equal(bundle?.semantics, 'BUNDLE');
    assert.deepEqual(
      bundle?.mids,
      description.media.map((m) => findAttribute(m.attributes, 'mid')?.value),
    );
    for (const media of description.media) {
      const at = (type: 'ice-ufrag' | 'ice-pwd') =>
        findAttribute(media.attributes, type) ?? findAttribute(description.attributes, type);
      assert.ok(at('ice-ufrag') && at('ice-pwd'), 'ICE credentials');
      const fingerprint =
        findAttribute(media.attributes, 'fingerprint') ??
        findAttribute(description.attributes, 'fingerprint');
      assert.equal(fingerprint?.algorithm, 'sha-256');
      assert.equal(fingerprint?.value.split(':').length, 32);
      assert.ok(findAttribute(media.attributes, 'setup'));
      for (const { candidate } of filterAttributes(media.attributes, 'candidate')) {
        assert.ok(candidate.port === 9 || candidate.port > 1023 || candidate.tcpType, 'candidate port');
        assert.deepEqual(parseCandidate(serializeCandidate(candidate)), candidate);
      }
      if (media.media === 'application') {
        assert.equal(media.protocol, 'UDP/DTLS/SCTP');
        assert.deepEqual(media.formats, ['webrtc-datachannel']);
        assert.ok(findAttribute(media.attributes, 'sctp-port'));
        assert.ok(findAttribute(media.attributes, 'max-message-size'));
      } else {
        const payloadTypes = filterAttributes(media.attributes, 'rtpmap').map((r) => `${r.payloadType}`);
        assert.deepEqual(payloadTypes, media.formats, 'one rtpmap per payload type, in m= order');
        assert.ok(findAttribute(media.attributes, 'rtcp-mux'));
        assert.ok(findAttribute(media.attributes, 'extmap'));
        assert.ok(findAttribute(media.attributes, 'msid') || name.includes('answer'));
      }
    }
    // Browsers do not receive simulcast, so only the offers carry rid and simulcast lines.
    if (name.includes('simulcast-offer')) {
      const video = description.media[1]!;
      const simulcast = findAttribute(video.attributes, 'simulcast');
      const streams = simulcast?.send ?? simulcast?.recv;
      assert.deepEqual(streams?.map((alternatives) => alternatives[0]?.rid).sort(), ['f', 'h', 'q']);
      assert.deepEqual(
        filterAttributes(video.attributes, 'rid')
          .map((r) => r.id)
          .sort(),
        ['f', 'h', 'q'],
      );
    }
  });
}
