import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeIceTransport } from '../../src/ice/index.ts';

test('the real socket layer binds IPv4 and IPv6 addresses (an IPv4 socket must not be ipv6Only)', async () => {
  const transport = new NodeIceTransport();
  for (const address of ['127.0.0.1', '::1']) {
    const socket = await transport.bind(address);
    assert.ok(socket.port > 0, `${address} bound`);
    socket.close();
  }
});
