#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through tsx.
// `npm test -- sdp stun` runs only the files whose path contains one of the given words.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found = found.concat(collect(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = [...collect('src'), ...collect('test')]
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    '--test-timeout=600000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
