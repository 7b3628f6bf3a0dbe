import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import {
  certificatePublicKey,
  computeFingerprint,
  fingerprintMatches,
  formatFingerprint,
  generateCertificate,
  generateCertificateInBackground,
  parseCertificate,
  parseFingerprint,
} from './certificate.ts';
import { decodeDer, decodeOid, derChildren, derOid, derTime, derUnsignedInteger } from './der.ts';
import { DtlsDecodeError } from './errors.ts';

test('a generated certificate is valid X.509 that node:crypto reads, self-signed and fingerprinted', async () => {
  const now = new Date('2030-05-01T12:00:00Z');
  for (const [keyType, background] of [
    ['ecdsa', false],
    ['rsa', false],
    ['ecdsa', true],
    ['rsa', true],
  ] as const) {
    const options = { keyType, commonName: 'dyad-test', now };
    const certificate = background
      ? await generateCertificateInBackground(options)
      : generateCertificate(options);
    const x509 = new X509Certificate(certificate.der);
    assert.equal(x509.subject, 'CN=dyad-test');
    assert.ok(x509.verify(x509.publicKey), 'self-signature verifies');
    assert.ok(x509.checkPrivateKey(certificate.privateKey));
    assert.equal(new Date(x509.validTo).getTime(), certificate.expires.getTime());
    assert.equal(certificate.expires.toISOString(), '2030-05-31T12:00:00.000Z');
    assert.equal(certificate.fingerprint.value, x509.fingerprint256);
    const parsed = parseCertificate(certificate.der);
    assert.ok(verify('sha256', parsed.tbs, certificate.publicKey, parsed.signature));
    assert.equal(parsed.notAfter.getTime(), certificate.expires.getTime());
    assert.ok(certificatePublicKey(certificate.der).equals(x509.publicKey));
    assert.deepEqual(
      Buffer.from(parsed.subjectPublicKeyInfo),
      certificate.publicKey.export({ type: 'spki', format: 'der' }),
      'the SubjectPublicKeyInfo we build is the one OpenSSL encodes',
    );
  }
});

test('a P-256 point off the curve is refused when the peer certificate is read', () => {
  const { der } = generateCertificate();
  const spki = parseCertificate(der).subjectPublicKeyInfo;
  const at = Buffer.from(der).indexOf(Buffer.from(spki)) + spki.length - 1;
  const tampered = Uint8Array.from(der);
  tampered[at] = tampered[at]! ^ 1; // the last byte of Y
  assert.throws(() => certificatePublicKey(tampered), DtlsDecodeError);
});

test('fingerprints print and parse in SDP form and match only their certificate', () => {
  const certificate = generateCertificate();
  const text = formatFingerprint(certificate.fingerprint);
  assert.match(text, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const parsed = parseFingerprint(text.toLowerCase());
  assert.deepEqual(parsed, certificate.fingerprint);
  assert.ok(fingerprintMatches(certificate.der, [parsed]));
  assert.ok(fingerprintMatches(certificate.der, [computeFingerprint(certificate.der, 'sha-512')]));
  assert.ok(!fingerprintMatches(generateCertificate().der, [parsed]));
  assert.ok(!fingerprintMatches(certificate.der, [{ algorithm: 'md5', value: parsed.value }]));
  assert.throws(() => parseFingerprint('sha-256 XY:00'), RangeError);
});

test('DER primitives encode per X.690 and the decoder is strict', () => {
  assert.deepEqual([...derOid('1.2.840.10045.4.3.2')], [6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2]);
  assert.equal(decodeOid(decodeDer(derOid('2.5.4.3'))), '2.5.4.3');
  assert.deepEqual([...derUnsignedInteger(Uint8Array.of(0, 0, 0x80))], [2, 2, 0, 0x80]);
  assert.deepEqual([...derUnsignedInteger(Uint8Array.of(0, 1))], [2, 1, 1]);
  assert.equal(
    Buffer.from(decodeDer(derTime(new Date('2049-12-31T23:59:59Z'))).contents).toString(),
    '491231235959Z',
  );
  assert.equal(
    Buffer.from(decodeDer(derTime(new Date('2050-01-01T00:00:00Z'))).contents).toString(),
    '20500101000000Z',
  );
  assert.throws(() => decodeDer(Uint8Array.of(0x30, 0x80, 0, 0)), DtlsDecodeError, 'indefinite length');
  assert.throws(
    () => decodeDer(Uint8Array.of(0x04, 0x81, 0x05, 1, 2, 3, 4, 5)),
    DtlsDecodeError,
    'non-minimal length',
  );
  assert.throws(() => decodeDer(Uint8Array.of(0x04, 0x02, 1)), /truncated/);
  assert.throws(() => derChildren(decodeDer(Uint8Array.of(0x04, 0))), DtlsDecodeError);
  assert.throws(() => parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)), DtlsDecodeError);
});
