/**
 * Issue 8's check of the Ant Media SDK test: the two peer.html pages connect to two different `dyad serve`
 * processes that share rooms through a real Redis server.
 */
import { describe, it } from 'node:test';
import { runAntMediaPeerCall } from '../antmedia/peer-page-driver.ts';
import { launchChromium } from '../support/chromium.ts';
import { spawnDyadServe } from '../support/dyad-process.ts';
import { startRedis } from '../support/redis.ts';

describe('Ant Media WebRTCAdaptor pages on two dyad processes sharing Redis', { timeout: 120_000 }, () => {
  it('call, leave, re-join across processes', async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const browser = await launchChromium(t);
    if (!browser) return;
    const first = await spawnDyadServe(['--redis', redis.url]);
    const second = await spawnDyadServe(['--redis', redis.url]);
    t.after(() => Promise.all([first.stop(), second.stop()]));
    await runAntMediaPeerCall(t, browser, first.wsUrl, second.wsUrl);
  });
});
