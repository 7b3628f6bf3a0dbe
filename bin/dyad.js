#!/usr/bin/env node
// Dyad is written in TypeScript; tsx compiles it on load so the package runs from source with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
