import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultReconnectPolicy, reconnectDelayMs } from './backoff.ts';
import { encodeClientMessage, iceServersFromConfig, maxFrameBytes, parseServerMessage } from './messages.ts';

describe('parseServerMessage', () => {
  it('accepts every server command of the protocol', () => {
    assert.deepEqual(parseServerMessage('{"command":"pong"}'), { command: 'pong' });
    assert.deepEqual(parseServerMessage('{"command":"start","streamId":"r1"}'), {
      command: 'start',
      streamId: 'r1',
    });
    assert.deepEqual(parseServerMessage('{"command":"stop","streamId":"r1"}'), {
      command: 'stop',
      streamId: 'r1',
    });
    assert.deepEqual(parseServerMessage('{"command":"notification","definition":"joined","streamId":"r1"}'), {
      command: 'notification',
      definition: 'joined',
      streamId: 'r1',
    });
    assert.deepEqual(parseServerMessage('{"command":"error","definition":"room_full"}'), {
      command: 'error',
      definition: 'room_full',
    });
    assert.deepEqual(
      parseServerMessage(
        JSON.stringify({
          command: 'takeConfiguration',
          streamId: 'r1',
          type: 'offer',
          sdp: 'v=0',
          idMapping: {},
        }),
      ),
      { command: 'takeConfiguration', streamId: 'r1', type: 'offer', sdp: 'v=0' },
    );
    assert.deepEqual(
      parseServerMessage(
        JSON.stringify({
          command: 'takeCandidate',
          streamId: 'r1',
          label: 1,
          id: '1',
          candidate: 'candidate:1',
        }),
      ),
      { command: 'takeCandidate', streamId: 'r1', label: 1, id: '1', candidate: 'candidate:1' },
    );
    assert.deepEqual(parseServerMessage('{"command":"iceServerConfig","stunServerUri":"stun:h:3478"}'), {
      command: 'iceServerConfig',
      stunServerUri: 'stun:h:3478',
      turnServerUsername: '',
      turnServerCredential: '',
    });
    assert.deepEqual(
      parseServerMessage(
        '{"command":"peerMessageCommand","streamId":"r1","definition":"chat","data":{"a":1}}',
      ),
      { command: 'peerMessageCommand', streamId: 'r1', definition: 'chat', data: { a: 1 } },
    );
  });

  it('ignores malformed, oversized and unknown frames', () => {
    const rejected: unknown[] = [
      'not json',
      '[1,2]',
      'null',
      '"start"',
      '{"streamId":"r1"}',
      '{"command":"connectWithNewId","streamId":"r1"}',
      '{"command":"start"}',
      '{"command":"start","streamId":""}',
      '{"command":"start","streamId":7}',
      '{"command":"takeConfiguration","streamId":"r1","type":"pranswer","sdp":"v=0"}',
      '{"command":"takeConfiguration","streamId":"r1","type":"offer","sdp":5}',
      '{"command":"takeCandidate","streamId":"r1","label":-1,"candidate":"c"}',
      '{"command":"takeCandidate","streamId":"r1","label":1.5,"candidate":"c"}',
      '{"command":"takeCandidate","streamId":"r1","label":null,"candidate":"c"}',
      '{"command":"takeCandidate","streamId":"r1","label":0,"id":3,"candidate":"c"}',
      '{"command":"notification"}',
      '{"command":"iceServerConfig"}',
      JSON.stringify({ command: 'peerMessageCommand', streamId: 'r1', data: 'x'.repeat(maxFrameBytes) }),
      new Uint8Array([123, 125]),
    ];
    for (const frame of rejected)
      assert.equal(parseServerMessage(frame), undefined, String(frame).slice(0, 80));
  });
});

describe('encodeClientMessage', () => {
  it('refuses frames the server would close the socket for (over 64 KiB of UTF-8)', () => {
    const offer = (sdp: string) => ({
      command: 'takeConfiguration' as const,
      streamId: 'r1',
      type: 'offer' as const,
      sdp,
    });
    assert.equal(encodeClientMessage(offer('x'.repeat(65_000))), JSON.stringify(offer('x'.repeat(65_000))));
    assert.equal(encodeClientMessage(offer('x'.repeat(65_536))), undefined);
    // 30,000 three-byte characters: 90,000 bytes although only 30,000 UTF-16 units.
    assert.equal(encodeClientMessage(offer('\u20ac'.repeat(30_000))), undefined);
  });

  it('refuses data nested deeper than the server accepts, also too deep for JSON.stringify', () => {
    const nested = (depth: number) => {
      let data: unknown = 1;
      for (let level = 0; level < depth; level++) data = [data];
      return { command: 'peerMessageCommand' as const, streamId: 'r1', data };
    };
    // The frame object is the first of 32 levels.
    assert.equal(encodeClientMessage(nested(31)), JSON.stringify(nested(31)));
    assert.equal(encodeClientMessage(nested(32)), undefined);
    assert.equal(encodeClientMessage(nested(100_000)), undefined);
  });
});

describe('iceServersFromConfig', () => {
  const config = (stunServerUri: string) => ({
    command: 'iceServerConfig' as const,
    stunServerUri,
    turnServerUsername: 'u',
    turnServerCredential: 'p',
  });

  it('maps stun: to one STUN server and turn: to TURN with credentials', () => {
    assert.deepEqual(iceServersFromConfig(config('stun:127.0.0.1:3478')), [{ urls: 'stun:127.0.0.1:3478' }]);
    assert.deepEqual(iceServersFromConfig(config('turn:127.0.0.1:3478?transport=udp')), [
      { urls: 'turn:127.0.0.1:3478?transport=udp', username: 'u', credential: 'p' },
    ]);
    assert.deepEqual(iceServersFromConfig(config('')), []);
    assert.deepEqual(iceServersFromConfig(config('http://x')), []);
  });
});

describe('reconnectDelayMs', () => {
  it('grows exponentially, is capped, and jitter only shortens it', () => {
    const policy = {
      ...defaultReconnectPolicy,
      initialDelayMs: 500,
      maxDelayMs: 8000,
      multiplier: 2,
      jitter: 0.5,
    };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 10].map((attempt) => reconnectDelayMs(attempt, policy, 0)),
      [500, 1000, 2000, 4000, 8000, 8000, 8000],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, policy, 0.999999)),
      [250, 500, 1000, 2000, 4000],
    );
    assert.equal(reconnectDelayMs(1, policy, 0.5), 750);
    for (let attempt = 0; attempt < 64; attempt++) {
      const delay = reconnectDelayMs(attempt, policy, Math.random());
      assert.ok(delay >= 250 && delay <= 8000, `attempt ${attempt}: ${delay}`);
    }
  });
});
