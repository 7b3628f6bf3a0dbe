import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { TestSignalingClient } from '../support/signaling-client.ts';

// What compatibility takes (docs/signaling-protocol.md §7), over a real WebSocket.
describe('Ant Media P2P protocol', () => {
  let server: RunningServer;
  const clients: TestSignalingClient[] = [];
  const connect = async (query = '?target=origin') => {
    const client = await TestSignalingClient.connect(server.wsUrl() + query);
    clients.push(client);
    return client;
  };
  const join = async (client: TestSignalingClient, streamId: string, mode = 'both') => {
    client.send({ command: 'join', streamId, mode, multiPeer: false });
    await client.next({ command: 'notification', definition: 'joined', streamId });
  };

  before(async () => {
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      iceServerUri: 'stun:127.0.0.1:3478',
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  test('join, start to the waiting peer only, relay of offer, answer and candidates in order', async () => {
    const a = await connect();
    const b = await connect('');
    await join(a, 'room-1');
    await join(b, 'room-1');
    await a.next({ command: 'start', streamId: 'room-1' });
    await b.nothing({ command: 'start' });

    a.send({
      command: 'takeConfiguration',
      streamId: 'room-1',
      type: 'offer',
      sdp: 'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n',
    });
    for (let label = 0; label < 5; label++) {
      a.send({
        command: 'takeCandidate',
        streamId: 'room-1',
        label,
        id: String(label),
        candidate: `candidate:${label}`,
      });
    }
    const offer = await b.next({ command: 'takeConfiguration' });
    assert.deepEqual(offer, {
      command: 'takeConfiguration',
      streamId: 'room-1',
      type: 'offer',
      sdp: 'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n',
      idMapping: {},
    });
    for (let label = 0; label < 5; label++) {
      const candidate = await b.next({ command: 'takeCandidate' });
      assert.deepEqual(candidate, {
        command: 'takeCandidate',
        streamId: 'room-1',
        label,
        id: String(label),
        candidate: `candidate:${label}`,
      });
    }
    b.send({ command: 'takeConfiguration', streamId: 'room-1', type: 'answer', sdp: 'answer-sdp' });
    b.send({ command: 'takeCandidate', streamId: 'room-1', label: 0, id: '0', candidate: '' });
    assert.equal((await a.next({ command: 'takeConfiguration' })).type, 'answer');
    assert.equal((await a.next({ command: 'takeCandidate' })).candidate, '');
  });

  test('relays carry only the protocol fields, in text frames, whether forwarded as sent or rebuilt', async () => {
    const a = await connect();
    const b = await connect();
    await join(a, 'room-fields');
    await join(b, 'room-fields');
    const offer = { command: 'takeConfiguration', streamId: 'room-fields', type: 'offer', sdp: 'v=0\r\n' };
    a.send(`${JSON.stringify(offer)}\n`);
    a.send({ ...offer, type: 'answer', secret: 'dropped', idMapping: { x: 1 } });
    a.send({ command: 'takeCandidate', streamId: 'room-fields', label: 1, id: null, candidate: 'c' });
    a.send({ command: 'peerMessageCommand', streamId: 'room-fields', definition: 'd', data: [1], extra: 0 });
    assert.deepEqual(await b.next({ command: 'takeConfiguration', type: 'offer' }), {
      ...offer,
      idMapping: {},
    });
    assert.deepEqual(await b.next({ command: 'takeConfiguration', type: 'answer' }), {
      ...offer,
      type: 'answer',
      idMapping: {},
    });
    assert.deepEqual(await b.next({ command: 'takeCandidate' }), {
      command: 'takeCandidate',
      streamId: 'room-fields',
      label: 1,
      id: '',
      candidate: 'c',
    });
    assert.deepEqual(await b.next({ command: 'peerMessageCommand' }), {
      command: 'peerMessageCommand',
      streamId: 'room-fields',
      definition: 'd',
      data: [1],
    });
    assert.equal(b.binaryFrames, 0);
  });

  test('ping gets pong; getIceServerConfig needs no streamId, even after join', async () => {
    const a = await connect();
    a.send({ command: 'join', streamId: 'room-ice', mode: 'both', multiPeer: false });
    a.send({ command: 'getIceServerConfig' });
    a.send({ command: 'ping' });
    await a.next({ command: 'notification', definition: 'joined' });
    assert.deepEqual(await a.next({ command: 'iceServerConfig' }), {
      command: 'iceServerConfig',
      stunServerUri: 'stun:127.0.0.1:3478',
      turnServerUsername: '',
      turnServerCredential: '',
    });
    await a.next({ command: 'pong' });
  });

  test('leave: leaved to the leaver, stop to the partner, who waits; a re-join restarts the call', async () => {
    const a = await connect();
    const b = await connect();
    await join(a, 'room-2');
    await join(b, 'room-2');
    await a.next({ command: 'start' });
    b.send({ command: 'leave', streamId: 'room-2' });
    await b.next({ command: 'notification', definition: 'leaved', streamId: 'room-2' });
    await a.next({ command: 'stop', streamId: 'room-2' });
    await join(b, 'room-2');
    await a.next({ command: 'start', streamId: 'room-2' });
  });

  test('a closed socket counts as leave: the partner gets stop and the room takes a newcomer', async () => {
    const a = await connect();
    const b = await connect();
    await join(a, 'room-3');
    await join(b, 'room-3');
    await a.next({ command: 'start' });
    b.close();
    await a.next({ command: 'stop', streamId: 'room-3' });
    const c = await connect();
    await join(c, 'room-3');
    await a.next({ command: 'start', streamId: 'room-3' });
  });

  test('a third peer is refused with room_full and the call is not disturbed', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    await join(a, 'room-4');
    await join(b, 'room-4');
    await a.next({ command: 'start' });
    c.send({ command: 'join', streamId: 'room-4', mode: 'both', multiPeer: false });
    assert.deepEqual(await c.next({ command: 'error' }), {
      command: 'error',
      definition: 'room_full',
      streamId: 'room-4',
    });
    await a.nothing({ command: 'stop' });
    a.send({
      command: 'peerMessageCommand',
      streamId: 'room-4',
      definition: 'chat',
      data: { text: 'still here' },
    });
    assert.deepEqual((await b.next({ command: 'peerMessageCommand' })).data, { text: 'still here' });
  });

  test('a duplicate join is idempotent and never counts the socket twice', async () => {
    const a = await connect();
    await join(a, 'room-5');
    await join(a, 'room-5');
    const b = await connect();
    await join(b, 'room-5');
    await a.next({ command: 'start' });
  });

  test('play-mode peers prefer giving start to a peer with media', async () => {
    const viewer = await connect();
    const publisher = await connect();
    await join(viewer, 'room-6', 'play');
    await join(publisher, 'room-6', 'both');
    await publisher.next({ command: 'start', streamId: 'room-6' });
    await viewer.nothing({ command: 'start' });
  });

  test('error definitions: noStreamNameSpecified, invalidStreamName, no_peer_associated_before', async () => {
    const a = await connect();
    a.send({ command: 'join' });
    assert.deepEqual(await a.next({ command: 'error' }), {
      command: 'error',
      definition: 'noStreamNameSpecified',
    });
    a.send({ command: 'join', streamId: '' });
    assert.equal((await a.next({ command: 'error' })).definition, 'noStreamNameSpecified');
    a.send({ command: 'join', streamId: 'bad/room' });
    assert.deepEqual(await a.next({ command: 'error' }), {
      command: 'error',
      definition: 'invalidStreamName',
      streamId: 'bad/room',
    });
    a.send({ command: 'takeConfiguration', streamId: 'room-7', type: 'offer', sdp: 'x' });
    assert.deepEqual(await a.next({ command: 'error' }), {
      command: 'error',
      definition: 'no_peer_associated_before',
      streamId: 'room-7',
    });
    await join(a, 'room-7');
    a.send({ command: 'takeCandidate', streamId: 'room-7', label: 0, id: '0', candidate: 'c' });
    assert.equal((await a.next({ command: 'error' })).definition, 'no_peer_associated_before');
    // A candidate without label would throw in the receiving page: never relayed [SDK].
    const b = await connect();
    await join(b, 'room-7');
    a.send({ command: 'takeCandidate', streamId: 'room-7', id: '0', candidate: 'c' });
    assert.equal((await a.next({ command: 'error' })).definition, 'invalid_message');
    await b.nothing({ command: 'takeCandidate' });
  });

  test('leave from a socket that never joined is answered quietly; malformed frames are ignored', async () => {
    const a = await connect();
    a.send({ command: 'leave', streamId: 'room-8' });
    await a.next({ command: 'notification', definition: 'leaved', streamId: 'room-8' });
    for (const frame of ['not json', '[1,2]', 'null', '42', '{"no":"command"}', '{"command":"publish"}'])
      a.send(frame);
    a.send({ command: 'ping' });
    await a.next({ command: 'pong' });
    assert.deepEqual(a.received, []);
  });

  test('unknown paths are refused; any /<app>/websocket path works', async () => {
    const other = await TestSignalingClient.connect(server.wsUrl('LiveApp'));
    other.send({ command: 'ping' });
    await other.next({ command: 'pong' });
    other.close();
    await assert.rejects(TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/nope`));
  });

  test('health and metrics', async () => {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    assert.equal(health.status, 'ok');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /dyad_signaling_peers_connected \d+/);
    assert.match(metrics, /dyad_signaling_messages_received_total\{command="join"\} [1-9]/);
    // The five well-formed JSON frames of the malformed-frames test above that name no known command.
    assert.match(metrics, /dyad_signaling_messages_received_total\{command="other"\} ([5-9]|\d{2,})\n/);
    assert.match(metrics, /dyad_signaling_messages_relayed_total\{command="takeConfiguration"\} [1-9]/);
    assert.match(metrics, /dyad_signaling_errors_total\{definition="room_full"\} 1/);
    assert.match(metrics, /dyad_signaling_relay_latency_seconds_count [1-9]/);
  });
});
