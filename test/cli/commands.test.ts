import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyRoomToken } from '../../src/signaling/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function dyad(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(`${root}bin/dyad.js`, args, { cwd: root, encoding: 'utf8', env: { ...process.env } });
}

test('dyad --version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  const result = dyad('--version');
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim(), version);
});

test('dyad token refuses what it cannot mint exactly, in a sentence and without a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['token', 'r', '--ttl', '1x'], /"1x" is not a duration/],
    // Once `2 days` minted a 2-second token: the stray word is an error now.
    [['token', 'r', '--ttl', '2', 'days'], /too many arguments/],
    [['token', '', '--ttl', '1h'], /A room name is 1 to 128/],
    [['token', 'a b'], /A room name is 1 to 128/],
    [['token', 'r', '--ttl', '0s'], /not a usable duration/],
  ];
  for (const [args, message] of cases) {
    const result = dyad(...args, '--secret', 'test-secret');
    assert.equal(result.status, 1, args.join(' '));
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stdout, '');
  }
});

test('dyad token mints a token the server accepts for that room until its ttl', async () => {
  const result = dyad('token', 'room-1', '--ttl', '2d', '--secret', 'test-secret');
  assert.equal(result.status, 0);
  const token = result.stdout.trim();
  const now = Date.now() / 1000;
  assert.ok(await verifyRoomToken('test-secret', 'room-1', token, now));
  assert.ok(await verifyRoomToken('test-secret', 'room-1', token, now + 2 * 86_400 - 60));
  assert.equal(await verifyRoomToken('test-secret', 'room-1', token, now + 2 * 86_400 + 60), false);
  assert.equal(await verifyRoomToken('test-secret', 'room-2', token, now), false);
});

test('dyad serve refuses a stray argument instead of ignoring it', () => {
  const result = dyad('serve', 'extra', '--no-web-build', '--port', '0', '--no-turn');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /too many arguments/);
});
