import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeStunMessage,
  ERROR_CODE,
  encodeStunMessage,
  getAttribute,
  ICE_CONTROLLING,
  PRIORITY,
  USE_CANDIDATE,
  USERNAME,
  XOR_MAPPED_ADDRESS,
} from '../stun/index.ts';
import {
  authenticateCheck,
  authenticResponse,
  buildCheckRequest,
  buildErrorResponse,
  buildSuccessResponse,
  fingerprintAcceptable,
} from './messages.ts';

const check = {
  localUfrag: 'LOCL',
  remoteUfrag: 'REMT',
  remotePassword: 'remote-password-of-22+chars',
  priority: 1862270975,
  role: 'controlling' as const,
  tieBreaker: 0x0123456789abcdefn,
  useCandidate: true,
};

test('a check carries USERNAME, PRIORITY, role, USE-CANDIDATE, integrity and fingerprint (RFC 8445 §7.2.2)', () => {
  const { message, options } = buildCheckRequest(check);
  const decoded = decodeStunMessage(encodeStunMessage(message, options));
  assert.equal(getAttribute(decoded, USERNAME), 'REMT:LOCL');
  assert.equal(getAttribute(decoded, PRIORITY), 1862270975);
  assert.equal(getAttribute(decoded, ICE_CONTROLLING), 0x0123456789abcdefn);
  assert.equal(getAttribute(decoded, USE_CANDIDATE), true);
  assert.ok(fingerprintAcceptable(decoded));
  // The peer authenticates it with its own ufrag and password.
  const result = authenticateCheck(decoded, 'REMT', 'remote-password-of-22+chars');
  assert.deepEqual(result, {
    ok: true,
    check: {
      remoteUfrag: 'LOCL',
      priority: 1862270975,
      useCandidate: true,
      controlling: 0x0123456789abcdefn,
    },
  });
  assert.deepEqual(authenticateCheck(decoded, 'REMT', 'wrong-password-xxxxxxxxx'), { ok: false, code: 401 });
  assert.deepEqual(authenticateCheck(decoded, 'OTHER', 'remote-password-of-22+chars'), {
    ok: false,
    code: 401,
  });
  const unsigned = decodeStunMessage(encodeStunMessage(message));
  assert.deepEqual(authenticateCheck(unsigned, 'REMT', 'remote-password-of-22+chars'), {
    ok: false,
    code: 400,
  });
});

test('responses: success maps the source, errors carry the code, integrity when required', () => {
  const { message } = buildCheckRequest(check);
  const success = decodeStunMessage(
    buildSuccessResponse(message, { address: '2001:db8::7', port: 5000 }, 'local-password-0123456789'),
  );
  assert.equal(success.class, 'success');
  assert.deepEqual(getAttribute(success, XOR_MAPPED_ADDRESS), {
    family: 'IPv6',
    address: '2001:db8::7',
    port: 5000,
  });
  assert.ok(authenticResponse(success, 'local-password-0123456789'));
  assert.ok(!authenticResponse(success, 'another-password-0123456'));
  const conflict = decodeStunMessage(buildErrorResponse(message, 487, 'local-password-0123456789'));
  assert.deepEqual(getAttribute(conflict, ERROR_CODE), { code: 487, reason: 'Role Conflict' });
  assert.ok(authenticResponse(conflict, 'local-password-0123456789'));
  const unauthenticated = decodeStunMessage(buildErrorResponse(message, 401));
  assert.equal(getAttribute(unauthenticated, ERROR_CODE)?.code, 401);
  assert.ok(!authenticResponse(unauthenticated, 'local-password-0123456789'));
  const corrupted = buildSuccessResponse(
    message,
    { address: '192.0.2.1', port: 1 },
    'pw-0123456789012345678',
  );
  corrupted[corrupted.length - 1]! ^= 0xff;
  assert.ok(!fingerprintAcceptable(decodeStunMessage(corrupted)));
});
