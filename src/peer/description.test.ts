import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseSdp } from '../sdp/index.ts';
import { answerSetup, dtlsRoleFromSetup, readRemoteDescription } from './description.ts';
import { answerMatchesOffer, makeAnswer, makeOffer, type OfferContext } from './negotiation.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/sdp/${name}`, import.meta.url), 'utf8');

const context: OfferContext = {
  sessionId: '4611686018427387904',
  sessionVersion: 2,
  negotiated: [],
  wantsData: true,
  usernameFragment: 'abcd',
  password: 'abcdefghijklmnopqrstuvwx',
  fingerprint: { algorithm: 'sha-256', value: 'AA:BB' },
  maxMessageSize: 262144,
  candidates: [],
  endOfCandidates: false,
};

test('an initial offer has one bundled data section as RFC 8829 §5.2.1 and RFC 8841 describe it', () => {
  const offer = makeOffer(context);
  const parsed = parseSdp(offer.sdp);
  assert.deepEqual(parsed.attributes[0], { type: 'group', semantics: 'BUNDLE', mids: ['0'] });
  assert.equal(parsed.origin.sessionVersion, '2');
  assert.equal(parsed.media.length, 1);
  const media = parsed.media[0]!;
  assert.equal(media.media, 'application');
  assert.equal(media.port, 9);
  assert.equal(media.protocol, 'UDP/DTLS/SCTP');
  assert.deepEqual(media.formats, ['webrtc-datachannel']);
  const attributes = media.attributes;
  const find = (type: string) => attributes.find((a) => a.type === type);
  assert.deepEqual(find('ice-ufrag'), { type: 'ice-ufrag', value: 'abcd' });
  assert.deepEqual(find('ice-options'), { type: 'ice-options', options: ['trickle'] });
  assert.deepEqual(find('fingerprint'), { type: 'fingerprint', algorithm: 'sha-256', value: 'AA:BB' });
  assert.deepEqual(find('setup'), { type: 'setup', role: 'actpass' });
  assert.deepEqual(find('mid'), { type: 'mid', value: '0' });
  assert.deepEqual(find('sctp-port'), { type: 'sctp-port', port: 5000 });
  assert.deepEqual(find('max-message-size'), { type: 'max-message-size', size: 262144 });
});

test('an offer without data channels or negotiated sections has no m= line', () => {
  assert.equal(parseSdp(makeOffer({ ...context, wantsData: false }).sdp).media.length, 0);
});

test('a subsequent offer repeats the negotiated sections in order (RFC 8829 §5.2.2)', () => {
  const negotiated = [
    { mid: 'a', media: 'audio', protocol: 'UDP/TLS/RTP/SAVPF', formats: ['111'], data: false },
    {
      mid: 'd',
      media: 'application',
      protocol: 'UDP/DTLS/SCTP',
      formats: ['webrtc-datachannel'],
      data: true,
    },
  ];
  const parsed = parseSdp(makeOffer({ ...context, negotiated }).sdp);
  assert.deepEqual(
    parsed.media.map((m) => [m.media, m.port]),
    [
      ['audio', 0],
      ['application', 9],
    ],
  );
  assert.deepEqual(parsed.attributes[0], { type: 'group', semantics: 'BUNDLE', mids: ['d'] });
});

for (const browser of ['chromium', 'firefox']) {
  test(`${browser}'s offer with media is answered with media rejected and data accepted (RFC 8829 §5.3.1)`, () => {
    const remote = readRemoteDescription(fixture(`${browser}-offer.sdp`));
    assert.ok(remote.data);
    assert.equal(remote.data.setup, 'actpass');
    assert.equal(remote.data.sctpPort, 5000);
    assert.ok(remote.data.fingerprints.length > 0);
    const answer = makeAnswer(context, remote);
    const parsed = parseSdp(answer.sdp);
    assert.equal(parsed.media.length, remote.sections.length);
    assert.ok(answerMatchesOffer(remote.sections, answer.parameters.sections));
    for (const [i, media] of parsed.media.entries()) {
      const accepted = media.media === 'application';
      assert.equal(media.port === 0, !accepted, `section ${i}`);
    }
    const data = parsed.media.find((m) => m.media === 'application')!;
    // RFC 8842 §5.3: the answerer of actpass is active, the DTLS client.
    assert.deepEqual(
      data.attributes.find((a) => a.type === 'setup'),
      { type: 'setup', role: 'active' },
    );
    assert.deepEqual(parsed.attributes[0], { type: 'group', semantics: 'BUNDLE', mids: [remote.data.mid] });
  });
}

test('max-message-size: absent is 64 KiB and 0 is unlimited (RFC 8841 §6.1)', () => {
  const base = makeOffer(context).sdp;
  const without = base.replace(/a=max-message-size:\d+\r\n/, '');
  assert.equal(readRemoteDescription(without).data?.maxMessageSize, 65536);
  const unlimited = base.replace(/a=max-message-size:\d+/, 'a=max-message-size:0');
  assert.equal(readRemoteDescription(unlimited).data?.maxMessageSize, Number.MAX_SAFE_INTEGER);
});

test('a data section without a fingerprint or ICE credentials is an InvalidAccessError', () => {
  const base = makeOffer(context).sdp;
  for (const strip of [/a=fingerprint:[^\r]+\r\n/, /a=ice-pwd:[^\r]+\r\n/]) {
    assert.throws(
      () => readRemoteDescription(base.replace(strip, '')),
      (error: unknown) => error instanceof DOMException && error.name === 'InvalidAccessError',
    );
  }
});

test('the DTLS role follows a=setup (RFC 8842 §5.1)', () => {
  assert.equal(dtlsRoleFromSetup('actpass', 'active'), 'server');
  assert.equal(dtlsRoleFromSetup('actpass', 'passive'), 'client');
  assert.equal(dtlsRoleFromSetup('active', 'actpass'), 'client');
  assert.equal(dtlsRoleFromSetup('passive', 'active'), 'server');
});

test('the answerer of actpass picks active; of active, passive; of passive, active (RFC 8842 §5.3)', () => {
  assert.equal(answerSetup('actpass'), 'active');
  assert.equal(answerSetup('active'), 'passive');
  assert.equal(answerSetup('passive'), 'active');
});
