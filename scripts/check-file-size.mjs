#!/usr/bin/env node
// DEVELOPERS.md: no file grows past ~600 lines; split by concept instead.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const maxLines = 600;
const roots = ['src', 'test', 'bench', 'web/src', 'scripts'];
const tooLong = [];

function visit(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) visit(path);
    else if (/\.(ts|tsx|mjs|js|css|html)$/.test(entry)) {
      const lines = readFileSync(path, 'utf8').split('\n').length;
      if (lines > maxLines) tooLong.push(`${path}: ${lines} lines`);
    }
  }
}

for (const root of roots) visit(root);
if (tooLong.length > 0) {
  console.error(`Files over ${maxLines} lines (split them by concept):\n${tooLong.join('\n')}`);
  process.exit(1);
}
