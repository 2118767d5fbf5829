// [hardening] Property-based fuzzing of every parser and renderer with a fixed seed (deterministic in
// CI); `npm run fuzz` runs the same properties much longer with a fresh seed.
import fc from 'fast-check';
import { PROPERTIES } from './support/properties.js';

const SEED = 20261124;

test.each(PROPERTIES.map((p, i) => [p.name, p, i] as const))('%s', (_name, p, i) => {
  fc.assert(p.property(), { seed: SEED + i, numRuns: p.runs });
}, 60_000);
