import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DescriptionSide,
  implicitLocalType,
  needsImplicitRollback,
  nextSignalingState,
  type RTCSdpType,
  type RTCSignalingState,
} from './signaling-state.ts';

// Every (state, side, type) of RFC 8829 §3.2 figure 1 and W3C §4.3.1; undefined means InvalidStateError.
const table: [RTCSignalingState, DescriptionSide, RTCSdpType, RTCSignalingState | undefined][] = [
  ['stable', 'local', 'offer', 'have-local-offer'],
  ['stable', 'local', 'answer', undefined],
  ['stable', 'local', 'pranswer', undefined],
  ['stable', 'local', 'rollback', undefined],
  ['stable', 'remote', 'offer', 'have-remote-offer'],
  ['stable', 'remote', 'answer', undefined],
  ['stable', 'remote', 'pranswer', undefined],
  ['stable', 'remote', 'rollback', undefined],
  ['have-local-offer', 'local', 'offer', 'have-local-offer'],
  ['have-local-offer', 'local', 'answer', undefined],
  ['have-local-offer', 'local', 'pranswer', undefined],
  ['have-local-offer', 'local', 'rollback', 'stable'],
  ['have-local-offer', 'remote', 'offer', undefined],
  ['have-local-offer', 'remote', 'answer', 'stable'],
  ['have-local-offer', 'remote', 'pranswer', 'have-remote-pranswer'],
  ['have-local-offer', 'remote', 'rollback', 'stable'],
  ['have-remote-offer', 'local', 'offer', undefined],
  ['have-remote-offer', 'local', 'answer', 'stable'],
  ['have-remote-offer', 'local', 'pranswer', 'have-local-pranswer'],
  ['have-remote-offer', 'local', 'rollback', 'stable'],
  ['have-remote-offer', 'remote', 'offer', 'have-remote-offer'],
  ['have-remote-offer', 'remote', 'answer', undefined],
  ['have-remote-offer', 'remote', 'pranswer', undefined],
  ['have-remote-offer', 'remote', 'rollback', 'stable'],
  ['have-local-pranswer', 'local', 'offer', undefined],
  ['have-local-pranswer', 'local', 'answer', 'stable'],
  ['have-local-pranswer', 'local', 'pranswer', 'have-local-pranswer'],
  ['have-local-pranswer', 'local', 'rollback', undefined],
  ['have-local-pranswer', 'remote', 'offer', undefined],
  ['have-local-pranswer', 'remote', 'answer', undefined],
  ['have-remote-pranswer', 'local', 'answer', undefined],
  ['have-remote-pranswer', 'remote', 'answer', 'stable'],
  ['have-remote-pranswer', 'remote', 'pranswer', 'have-remote-pranswer'],
  ['have-remote-pranswer', 'remote', 'rollback', undefined],
  ['closed', 'local', 'offer', undefined],
  ['closed', 'remote', 'offer', undefined],
  ['closed', 'local', 'rollback', undefined],
];

test('JSEP transitions follow RFC 8829 §3.2 and W3C §4.3.1', () => {
  for (const [state, side, type, expected] of table) {
    const label = `${side} ${type} in ${state}`;
    if (expected === undefined) {
      assert.throws(
        () => nextSignalingState(state, side, type),
        (error: unknown) => error instanceof DOMException && error.name === 'InvalidStateError',
        label,
      );
    } else {
      assert.equal(nextSignalingState(state, side, type), expected, label);
    }
  }
});

test('a remote offer during a local offer is an implicit rollback (W3C §4.4.1.6)', () => {
  assert.equal(needsImplicitRollback('have-local-offer', 'remote', 'offer'), true);
  assert.equal(needsImplicitRollback('stable', 'remote', 'offer'), false);
  assert.equal(needsImplicitRollback('have-local-offer', 'remote', 'answer'), false);
});

test('setLocalDescription() without a description offers or answers by state (W3C §4.4.1.5)', () => {
  assert.equal(implicitLocalType('stable'), 'offer');
  assert.equal(implicitLocalType('have-local-offer'), 'offer');
  assert.equal(implicitLocalType('have-remote-offer'), 'answer');
  assert.equal(implicitLocalType('have-local-pranswer'), 'answer');
});
