import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DyadProcess, spawnDyadServe } from '../support/dyad-process.ts';
import { startRedis } from '../support/redis.ts';
import { TestSignalingClient } from '../support/signaling-client.ts';

async function join(client: TestSignalingClient, streamId: string): Promise<void> {
  client.send({ command: 'join', streamId, mode: 'both', multiPeer: false });
  await client.next({ command: 'notification', definition: 'joined', streamId });
}

test('three dyad serve processes share rooms through Redis', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const processes: DyadProcess[] = [];
  const clients: TestSignalingClient[] = [];
  t.after(async () => {
    for (const client of clients) client.close();
    await Promise.all(processes.map((dyad) => dyad.stop()));
  });
  for (let i = 0; i < 3; i++) processes.push(await spawnDyadServe(['--redis', redis.url]));
  const [p1, p2, p3] = processes as [DyadProcess, DyadProcess, DyadProcess];
  const connect = async (dyad: DyadProcess) => {
    const client = await TestSignalingClient.connect(`${dyad.wsUrl}?target=origin`);
    clients.push(client);
    return client;
  };

  await t.test('peers on different processes complete the protocol', async () => {
    const a = await connect(p1);
    const b = await connect(p2);
    await join(a, 'shared');
    await join(b, 'shared');
    await a.next({ command: 'start', streamId: 'shared' });
    await b.nothing({ command: 'start' });
    a.send({ command: 'takeConfiguration', streamId: 'shared', type: 'offer', sdp: 'offer-sdp' });
    for (let label = 0; label < 3; label++) {
      a.send({ command: 'takeCandidate', streamId: 'shared', label, id: '0', candidate: `c${label}` });
    }
    assert.deepEqual(await b.next({ command: 'takeConfiguration' }), {
      command: 'takeConfiguration',
      streamId: 'shared',
      type: 'offer',
      sdp: 'offer-sdp',
      idMapping: {},
    });
    for (let label = 0; label < 3; label++)
      assert.equal((await b.next({ command: 'takeCandidate' })).label, label);
    b.send({ command: 'takeConfiguration', streamId: 'shared', type: 'answer', sdp: 'answer-sdp' });
    assert.equal((await a.next({ command: 'takeConfiguration' })).sdp, 'answer-sdp');

    // The room-full rule holds across processes.
    const c = await connect(p3);
    c.send({ command: 'join', streamId: 'shared' });
    assert.equal((await c.next({ command: 'error' })).definition, 'room_full');

    b.send({ command: 'leave', streamId: 'shared' });
    await b.next({ command: 'notification', definition: 'leaved' });
    await a.next({ command: 'stop', streamId: 'shared' });
    await join(c, 'shared');
    await a.next({ command: 'start', streamId: 'shared' });
  });

  await t.test(
    'kill -9 of a process mid-call: its partner gets stop within seconds and can be joined again',
    async () => {
      const a = await connect(p1);
      const doomed = await connect(p2);
      await join(a, 'crash');
      await join(doomed, 'crash');
      await a.next({ command: 'start' });
      const killedAt = Date.now();
      p2.child.kill('SIGKILL');
      await a.next({ command: 'stop', streamId: 'crash' }, 12_000);
      const detectionMs = Date.now() - killedAt;
      assert.ok(detectionMs < 10_000, `stop after ${detectionMs} ms`);
      const newcomer = await connect(p3);
      await join(newcomer, 'crash');
      await a.next({ command: 'start', streamId: 'crash' });
    },
  );

  await t.test(
    'Redis restart mid-run: sends fail visibly meanwhile, then service resumes unrestarted',
    async () => {
      const a = await connect(p1);
      const b = await connect(p3);
      await join(a, 'outage');
      await join(b, 'outage');
      await a.next({ command: 'start' });

      await redis.stop();
      a.send({ command: 'takeConfiguration', streamId: 'outage', type: 'offer', sdp: 'lost?' });
      assert.deepEqual(await a.next({ command: 'error' }, 5_000), {
        command: 'error',
        definition: 'delivery_failed',
        streamId: 'outage',
      });

      await redis.start();
      // The processes reconnect and register their peers' memberships again.
      const deadline = Date.now() + 15_000;
      for (;;) {
        a.send({ command: 'takeConfiguration', streamId: 'outage', type: 'offer', sdp: 'after-restart' });
        try {
          assert.equal((await b.next({ command: 'takeConfiguration' }, 1_000)).sdp, 'after-restart');
          break;
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`${(error as Error).message}; sender got ${JSON.stringify(a.received)}`);
          a.received.length = 0;
        }
      }
      // The memberships Redis lost in its restart were registered again: the room is still full.
      const c = await connect(p1);
      c.send({ command: 'join', streamId: 'outage' });
      assert.equal((await c.next({ command: 'error' })).definition, 'room_full');
    },
  );
});
